package review

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

// PolicyFile is the policy's path in a repository.
const PolicyFile = ".shipgate.yml"

// Conclusion is what an outcome says overall. Hosts map it: GitHub's check
// run takes it as its conclusion (Pending: an in-progress run); GitLab's
// commit status maps Success → success, Failure → failed, Pending →
// pending, Neutral → skipped.
type Conclusion string

// Conclusions.
const (
	Success Conclusion = "success"
	Failure Conclusion = "failure"
	Pending Conclusion = "pending"
	// Neutral: the base branch has no policy; nothing is enforced.
	Neutral Conclusion = "neutral"
)

// Outcome is what is published for one evaluation: the report the summary
// and the sticky comment render, the conclusion, and whether the sticky
// comment is created when there is none yet (it is updated whenever one
// exists).
type Outcome struct {
	Report     templates.Report
	Conclusion Conclusion
	Comment    bool
}

// Evaluated is the outcome of a verdict: a comment is created only for a
// gated change that does not pass.
func Evaluated(rep templates.Report, v policies.Verdict) Outcome {
	rep.Kind, rep.Verdict = templates.Evaluated, v
	return Outcome{Report: rep, Conclusion: Conclusion(v.Conclusion), Comment: v.Gated && v.Conclusion != policies.Success}
}

// NoPolicy is the outcome when the base branch has no policy file.
func NoPolicy(rep templates.Report) Outcome {
	rep.Kind = templates.NoPolicy
	return Outcome{Report: rep, Conclusion: Neutral}
}

// InvalidPolicy is the outcome of a policy that does not load: a failure
// naming each error, with a comment.
func InvalidPolicy(rep templates.Report, err error) Outcome {
	rep.Kind, rep.PolicyErrors = templates.InvalidPolicy, policies.FieldErrors(err)
	if len(rep.PolicyErrors) == 0 {
		file := rep.PolicyFile
		if file == "" {
			file = PolicyFile
		}
		rep.PolicyErrors = []*policies.FieldError{{File: file, Msg: err.Error()}}
	}
	return Outcome{Report: rep, Conclusion: Failure, Comment: true}
}

// Failed is the outcome when the change could not be evaluated for good:
// a failure that says why, never a green or a silent status.
func Failed(rep templates.Report, cause error) Outcome {
	rep.Kind, rep.Err = templates.Failed, cause.Error()
	return Outcome{Report: rep, Conclusion: Failure}
}

// Title is the one-line summary, cut to n bytes (0: no limit).
func (o Outcome) Title(n int) string {
	if n > 0 {
		return Truncate(o.Report.Title(), n)
	}
	return o.Report.Title()
}

// Summary renders the check summary, cut to n bytes (0: no limit).
func (o Outcome) Summary(n int) (string, error) {
	s, err := templates.String(templates.CheckSummary, o.Report)
	if err != nil || n == 0 {
		return s, err
	}
	return Truncate(s, n), nil
}

// CommentBody renders the sticky comment (it starts with
// templates.CommentMarker), cut to n bytes (0: no limit).
func (o Outcome) CommentBody(n int) (string, error) {
	s, err := templates.String(templates.Comment, o.Report)
	if err != nil || n == 0 {
		return s, err
	}
	return Truncate(s, n), nil
}

// Digest is a stable digest of values, to tell whether a publication
// changed.
func Digest(parts ...any) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, p := range parts {
		_ = enc.Encode(p)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Truncate cuts s to at most n bytes on a rune boundary, saying so.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const more = "\n\n… (truncated)"
	cut := n - len(more)
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:max(cut, 0)] + more
}

// InputsDigest summarises what an evaluation read, for the audit trail.
func InputsDigest(revision string, c *policies.Change) string {
	h := sha256.New()
	h.Write([]byte(revision))
	h.Write([]byte{0})
	cc := *c
	cc.CodeOwners = nil // unexported state; its content is in the base branch
	if err := json.NewEncoder(h).Encode(cc); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Evaluation describes one evaluation to record.
type Evaluation struct {
	// Host, Repo and Number name the change.
	Host   policies.Host
	Repo   string
	Number int
	// HeadSHA is the commit judged; PolicyRevision identifies the policy.
	HeadSHA        string
	PolicyRevision string
	// Change is what was judged (nil when the policy was missing or
	// invalid); Verdict its verdict; Conclusion what was published.
	Change     *policies.Change
	Verdict    policies.Verdict
	Conclusion Conclusion
	// Actor and DeliveryID name the last event of the batch; Events counts
	// the batch's events.
	Actor      string
	DeliveryID string
	Events     int
	At         time.Time
}

// Records returns the evaluation to save and its audit entry.
func (e Evaluation) Records() (store.Evaluation, store.AuditEvent, error) {
	digest := ""
	if e.Change != nil {
		digest = InputsDigest(e.PolicyRevision, e.Change)
	}
	verdict, err := json.Marshal(e.Verdict)
	if err != nil {
		return store.Evaluation{}, store.AuditEvent{}, fmt.Errorf("encoding the verdict of %s#%d: %w", e.Repo, e.Number, err)
	}
	detail, _ := json.Marshal(map[string]any{
		"inputs_digest": digest, "policy_revision": e.PolicyRevision, "head_sha": e.HeadSHA,
		"verdict": json.RawMessage(verdict), "events": e.Events,
	})
	ev := store.Evaluation{
		Host: e.Host, Repo: e.Repo, Number: e.Number, HeadSHA: e.HeadSHA, PolicyRevision: e.PolicyRevision,
		InputsDigest: digest, Conclusion: string(e.Conclusion), Verdict: verdict, At: e.At,
	}
	audit := store.AuditEvent{
		At: e.At, Host: e.Host, Repo: e.Repo, Number: e.Number, Kind: store.AuditEvaluation, Actor: e.Actor,
		Subject: e.HeadSHA, Outcome: string(e.Conclusion), Detail: detail, DeliveryID: e.DeliveryID,
	}
	return ev, audit, nil
}

// CommandAudit is the audit entry of a command decision in comment
// commentID on host's repo#number, given by actor.
func CommandAudit(host policies.Host, repo string, number int, commentID int64, actor, deliveryID string, d Decision, at time.Time) store.AuditEvent {
	outcome := "refused"
	if d.Accepted {
		outcome = "accepted"
	}
	detail, _ := json.Marshal(map[string]any{
		"comment_id": commentID, "index": d.Index, "command": d.Command.Name, "args": d.Command.Args, "reason": d.Reason,
	})
	return store.AuditEvent{
		At: at, Host: host, Repo: repo, Number: number, Kind: store.AuditCommand,
		Actor: actor, Subject: CommandText(d.Command), Outcome: outcome, Detail: detail, DeliveryID: deliveryID,
	}
}

// Reply collects the answer to a comment's commands: refusals, /help, and
// what accepted commands started (a Reason on an accepted decision).
// Needed tells whether there is anything to say.
func Reply(p *policies.Policy, actor string, ds []Decision, f Features) (reply templates.Reply, needed bool) {
	reply.Actor = actor
	for _, d := range ds {
		switch {
		case d.Accepted && d.Help:
			reply.Help, needed = HelpEntries(p, f), true
		case d.Accepted && d.Reason != "":
			reply.Done = append(reply.Done, templates.Refusal{Command: CommandText(d.Command), Reason: d.Reason})
			needed = true
		case !d.Accepted:
			reply.Refusals = append(reply.Refusals, templates.Refusal{Command: CommandText(d.Command), Reason: d.Reason})
			needed = true
		}
	}
	return reply, needed
}

// Recorder is the part of the store that recording an evaluation uses.
type Recorder interface {
	SaveEvaluation(ctx context.Context, e store.Evaluation) (int64, error)
	AppendAudit(ctx context.Context, e store.AuditEvent) (int64, error)
	PutPR(ctx context.Context, p store.PRState) error
}

// Record saves the evaluation and its audit entry, then marks state as
// evaluated at e.At on e.HeadSHA and stores it.
func (e Evaluation) Record(ctx context.Context, r Recorder, state *store.PRState) error {
	ev, audit, err := e.Records()
	if err != nil {
		return err
	}
	if _, err := r.SaveEvaluation(ctx, ev); err != nil {
		return err
	}
	if _, err := r.AppendAudit(ctx, audit); err != nil {
		return fmt.Errorf("auditing the evaluation of %s#%d: %w", e.Repo, e.Number, err)
	}
	state.LastEvaluatedAt, state.LastEvaluatedSHA = e.At, e.HeadSHA
	return r.PutPR(ctx, *state)
}

// CheckPrefix starts the name of every verdict Shipgate publishes on a
// change's head commit.
const CheckPrefix = "shipgate: "

// CheckName is the name of the check run (GitHub) or commit status
// (GitLab) that carries the verdict of a change into base, "shipgate:
// main". A verdict belongs to a commit and a base, while a check belongs
// to the commit alone: under one name for every base, a second PR of the
// same head into a lax branch would satisfy main's required check
// (policy-bot names its status after the base for the same reason).
func CheckName(base string) string { return CheckPrefix + base }

// IsVerdictCheck reports whether a check run or status name is one of
// Shipgate's verdicts.
func IsVerdictCheck(name string) bool { return strings.HasPrefix(name, CheckPrefix) }

// Withdrawn is the outcome that replaces a verdict that no longer applies
// on its commit: the change was retargeted to another base, or closed
// without merging. It fails, so that no other change on the same commit
// and base can merge on it before Shipgate has judged that change.
func Withdrawn(rep templates.Report, why string) Outcome {
	rep.Kind, rep.Err = templates.Withdrawn, why
	return Outcome{Report: rep, Conclusion: Failure}
}
