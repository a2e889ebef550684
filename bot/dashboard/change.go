package dashboard

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// changeHistory is how many evaluations the change page lists.
const changeHistory = 50

// evaluationRow is one evaluation of the history.
type evaluationRow struct {
	store.EvaluationRecord
	Verdict policies.Verdict
	// Unreadable tells that the stored verdict could not be decoded.
	Unreadable bool
}

type changeData struct {
	Host       policies.Host
	Repo       string
	Number     int
	PR         store.PRState
	Latest     *evaluationRow
	Approvals  []policies.Result
	History    []evaluationRow
	Commands   []store.CommandRecord
	PolicyFile string
	HostURL    string
}

// prPage shows a PR/MR: each rule's result and message, the approvals
// rules apart (who counted and who did not, and why), the commands given,
// the policy file and revision, and the history of evaluations.
func (d *Dashboard) prPage(w http.ResponseWriter, r *http.Request) {
	host, repo := policies.Host(r.PathValue("host")), r.PathValue("repo")
	number, err := strconv.Atoi(r.PathValue("arg"))
	if err != nil || number <= 0 {
		d.renderError(w, r, http.StatusNotFound, "That is not a change number.")
		return
	}
	ctx := r.Context()
	pr, err := d.cfg.Store.GetPR(ctx, host, repo, number)
	if errors.Is(err, store.ErrNotFound) {
		d.renderError(w, r, http.StatusNotFound, "Shipgate has not seen that change.")
		return
	}
	if err != nil {
		d.storeError(w, r, err)
		return
	}
	data := changeData{Host: host, Repo: repo, Number: number, PR: pr, PolicyFile: review.PolicyFile, HostURL: d.changeURL(host, repo, number)}
	evals, err := d.cfg.Store.EvaluationsOf(ctx, host, repo, number, changeHistory)
	if err != nil {
		d.storeError(w, r, err)
		return
	}
	for _, ev := range evals {
		row := evaluationRow{EvaluationRecord: ev}
		row.Unreadable = json.Unmarshal(ev.Verdict, &row.Verdict) != nil
		data.History = append(data.History, row)
	}
	if len(data.History) > 0 {
		data.Latest = &data.History[0]
		for _, res := range data.Latest.Verdict.Results {
			if res.Rule == "approvals" {
				data.Approvals = append(data.Approvals, res)
			}
		}
	}
	if data.Commands, err = d.cfg.Store.CommandsOf(ctx, host, repo, number); err != nil {
		d.storeError(w, r, err)
		return
	}
	d.render(w, r, "change.html", data)
}

// changeURL links to the change on its host, when the host's web URL is
// known ("" otherwise).
func (d *Dashboard) changeURL(host policies.Host, repo string, number int) string {
	switch {
	case host == policies.GitHub && d.cfg.GitHub != nil:
		return trimSlash(d.cfg.GitHub.WebURL) + "/" + repo + "/pull/" + strconv.Itoa(number)
	case host == policies.GitLab && d.cfg.GitLab != nil:
		return trimSlash(d.cfg.GitLab.WebURL) + "/" + repo + "/-/merge_requests/" + strconv.Itoa(number)
	}
	return ""
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}
