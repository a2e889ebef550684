package policies

import "strconv"

// How each host names a change; messages say it as its users do.

// Ref is change n as the host writes it: !n for a GitLab merge request,
// #n elsewhere.
func (h Host) Ref(n int) string {
	if h == GitLab {
		return "!" + strconv.Itoa(n)
	}
	return "#" + strconv.Itoa(n)
}

// ChangeAbbr is "MR" on GitLab, "PR" elsewhere.
func (h Host) ChangeAbbr() string {
	if h == GitLab {
		return "MR"
	}
	return "PR"
}

// ChangeNoun is "merge request" on GitLab, "pull request" elsewhere.
func (h Host) ChangeNoun() string {
	if h == GitLab {
		return "merge request"
	}
	return "pull request"
}
