package review

import (
	"slices"
	"strings"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// AsWritten returns comments with the commands each had when it was
// created, from the records the bot made of their created events: an
// edited comment's recorded commands stand for its current text (anyone
// with write access can edit anyone's comment), and a comment deleted since
// keeps its commands (deleting is editing to nothing). A comment never
// recorded (its event was missed) is read as it is, unless edited, when it
// counts for nothing. comments is left unchanged.
func AsWritten(comments []policies.Comment, records []store.CommandRecord) []policies.Comment {
	if len(records) == 0 {
		return comments
	}
	byComment := map[int64][]store.CommandRecord{}
	var order []int64
	for _, r := range records {
		if _, ok := byComment[r.CommentID]; !ok {
			order = append(order, r.CommentID)
		}
		byComment[r.CommentID] = append(byComment[r.CommentID], r)
	}
	out := make([]policies.Comment, 0, len(comments)+len(order))
	for _, c := range comments {
		if rs, ok := byComment[c.ID]; ok {
			c.Commands = recorded(rs)
			delete(byComment, c.ID)
		}
		out = append(out, c)
	}
	for _, id := range order {
		rs, ok := byComment[id]
		if !ok {
			continue
		}
		// Deleted since: its commands still count, as given.
		out = append(out, policies.Comment{ID: id, Author: policies.Actor{Login: rs[0].Actor}, CreatedAt: rs[0].At, Edited: true, Commands: recorded(rs)})
	}
	slices.SortStableFunc(out, func(a, b policies.Comment) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out
}

// recorded turns a comment's command records into its commands, in order.
func recorded(rs []store.CommandRecord) []policies.Command {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b store.CommandRecord) int { return a.Index - b.Index })
	out := make([]policies.Command, 0, len(rs))
	for _, r := range rs {
		name := strings.ToLower(r.Name)
		_, known := policies.LookupCommand(name)
		out = append(out, policies.Command{Name: name, Args: r.Args, Known: known})
	}
	return out
}
