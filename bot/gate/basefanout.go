package gate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/policies"
)

// BaseStore is the part of the store that knows which repositories'
// policies extend which bases; *store.Store implements it.
type BaseStore interface {
	AddPolicyBases(ctx context.Context, host policies.Host, repo string, bases []policies.Source) error
	PolicyUsers(ctx context.Context, host policies.Host, baseRepo, branch string, isDefault bool, paths []string) ([]string, error)
}

// recordBases records the bases of repo's policy unless this gate
// recorded them before (the store is not written on every evaluation). A
// store without BaseStore records nothing.
func (g *Gate) recordBases(ctx context.Context, repo string, bases []policies.Source) error {
	st, ok := g.cfg.Store.(BaseStore)
	if !ok {
		return nil
	}
	names := make([]string, len(bases))
	for i, b := range bases {
		names[i] = b.String()
	}
	key := repo + "\n" + strings.Join(names, "\n")
	if len(bases) == 0 || g.bases.Contains(key) {
		return nil
	}
	if err := st.AddPolicyBases(ctx, g.host, repo, bases); err != nil {
		return err
	}
	g.bases.Add(key, struct{}{})
	return nil
}

// BasePush is a push to a branch of a repository that may hold base
// policies.
type BasePush struct {
	Repo, Branch string
	// IsDefault tells that Branch is the repository's default branch
	// (where a base without @ref is read).
	IsDefault bool
	// Paths are the files the push changed; nil when unknown (a forced
	// push, or more commits than the payload lists).
	Paths []string
	// DeliveryID is the push's delivery; Sender who pushed.
	DeliveryID, Sender string
}

// PolicyPaths are the YAML files among paths (a policy is a YAML file);
// nil stays nil (unknown).
func PolicyPaths(paths []string) []string {
	if paths == nil {
		return nil
	}
	out := []string{}
	for _, p := range paths {
		if (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// FanOutBase queues a new evaluation of every open change of every
// repository whose policy extends a file the push changed (their
// organisation default included), one delivery per repository. It is the
// flow both hosts share; host adapters only translate the push. A
// repository that cannot be read (its installation gone, a host error)
// does not keep the others from being queued: its error is returned with
// the others' after every repository was tried, and the retry queues
// nothing twice (each repository's delivery is deduplicated).
func FanOutBase(ctx context.Context, host Host, st BaseStore, q bot.Acceptor, p BasePush, now time.Time) (int, error) {
	users, err := st.PolicyUsers(ctx, host.Name(), p.Repo, p.Branch, p.IsDefault, p.Paths)
	if err != nil {
		return 0, err
	}
	queued := 0
	var errs []error
	for _, user := range users {
		n, err := queueBaseUser(ctx, host, q, p, user, now)
		queued += n
		if err != nil {
			errs = append(errs, fmt.Errorf("re-evaluating %s after a change of its base policy in %s: %w", user, p.Repo, err))
			continue
		}
		zerolog.Ctx(ctx).Info().Str(bot.FieldRepo, user).Str("base_repo", p.Repo).Str("branch", p.Branch).Int("queued", n).
			Msg("base policy changed: open changes queued for evaluation")
	}
	return queued, errors.Join(errs...)
}

// queueBaseUser queues a new evaluation of every open change of user, a
// repository whose policy extends the pushed base.
func queueBaseUser(ctx context.Context, host Host, q bot.Acceptor, p BasePush, user string, now time.Time) (int, error) {
	r, err := host.Repo(ctx, user, 0)
	if err != nil {
		return 0, err
	}
	open, err := r.OpenChanges(ctx, "")
	if err != nil {
		return 0, err
	}
	rc := Rechecks{Host: host.Name(), Repo: user, DeliveryID: "base:" + p.DeliveryID + ":" + user,
		Reason: "policy_changed", Sender: p.Sender, Changes: open}
	return rc.Queue(ctx, q, now)
}
