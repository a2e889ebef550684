package fakegithub

import (
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"
)

func TestQueueMergeGroup(t *testing.T) {
	for _, method := range []string{QueueMerge, QueueSquash} {
		t.Run(method, func(t *testing.T) {
			s := New(t)
			tip := s.AddCommit(repo, Commit{Message: "base"})
			s.SetBranch(repo, "main", tip)
			for _, n := range []int{7, 8} {
				s.AddPR(repo, PR{Number: n, Title: "feat: part " + itoa(int64(n)), Author: "alice"})
				s.SetPRCommits(repo, n, []Commit{{Message: "feat: work of " + itoa(int64(n))}})
			}
			ev, err := github.ParseWebHook("merge_group", s.Payload(s.QueueMergeGroup(repo, "main", method, "alice", 7, 8)))
			if err != nil {
				t.Fatal(err)
			}
			g := ev.(*github.MergeGroupEvent).GetMergeGroup()
			gh := s.Client("")

			refs := got(gh.Git.ListMatchingRefs(ctx(t), "acme", "widgets", &github.ReferenceListOptions{Ref: "heads/gh-readonly-queue/main"})).must(t)
			equal(t, "queue branches", len(refs), 2)
			first, last := refs[0].GetObject().GetSHA(), refs[1].GetObject().GetSHA()
			equal(t, "queue refs", []string{refs[0].GetRef(), refs[1].GetRef()},
				[]string{"refs/heads/gh-readonly-queue/main/pr-7-" + tip, "refs/heads/gh-readonly-queue/main/pr-8-" + first})
			equal(t, "group", []string{g.GetHeadSHA(), g.GetHeadRef(), g.GetBaseSHA(), g.GetBaseRef()},
				[]string{last, refs[1].GetRef(), first, "refs/heads/main"})

			cmp := got(gh.Repositories.CompareCommits(ctx(t), "acme", "widgets", "main", g.GetHeadSHA(), nil)).must(t)
			var subjects []string
			for _, c := range cmp.Commits {
				subject, _, _ := strings.Cut(c.GetCommit().GetMessage(), "\n")
				subjects = append(subjects, subject)
			}
			want := []string{"feat: part 7 (#7)", "feat: part 8 (#8)"}
			if method == QueueMerge {
				want = []string{"feat: work of 7", "Merge pull request #7 from acme/feature-7", "feat: work of 8", "Merge pull request #8 from acme/feature-8"}
			}
			equal(t, "the group's commits since main", subjects, want)
		})
	}
}
