package release

import "slices"

// PreviousCandidates returns the stable version tags below v (every stable
// version tag when v is nil), highest first: the tags a new tag may follow.
// A host adapter tries them in order and takes the first that the tagged
// commit descends from.
func PreviousCandidates(prefix string, tags []Tag, v *Version) []Tag {
	type cand struct {
		tag Tag
		v   Version
	}
	var cands []cand
	for _, t := range tags {
		tv, err := ParseTag(prefix, t.Name)
		if err != nil || tv.IsPrerelease() || (v != nil && tv.Compare(*v) >= 0) {
			continue
		}
		cands = append(cands, cand{t, tv})
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return b.v.Compare(a.v) })
	out := make([]Tag, len(cands))
	for i, c := range cands {
		out[i] = c.tag
	}
	return out
}
