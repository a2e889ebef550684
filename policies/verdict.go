package policies

// Conclusion is the overall outcome of an evaluation.
type Conclusion string

// Conclusions. Fail closed: anything unknown is not success.
const (
	Success Conclusion = "success"
	Failure Conclusion = "failure"
	Pending Conclusion = "pending"
)

// Status is the outcome of one rule.
type Status string

// Rule statuses.
const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Wait    Status = "pending"
	Skipped Status = "skipped"
)

// Result is one rule's outcome.
type Result struct {
	// Rule is the policy key of the rule, e.g. "approvals".
	Rule string
	// Name is the approval rule's name, else the Rule.
	Name   string
	Status Status
	// Message tells the author what holds or exactly how to fix it.
	Message string
}

// Verdict is the evaluation of a Change under a Policy at a time.
type Verdict struct {
	Conclusion Conclusion
	// Gated is false when the base branch is not gated by the policy.
	Gated   bool
	Results []Result
	// Bump is the bump the change declares (none when undeclared).
	Bump Bump
	// ChangeRecords are the de-duplicated change-record IDs found.
	ChangeRecords []string
	// ReleaseNote is the change's release note text ("" when none).
	ReleaseNote string
}

// conclude derives the conclusion: failure if any rule fails, else pending
// if any is pending, else success.
func conclude(results []Result) Conclusion {
	c := Success
	for _, r := range results {
		switch r.Status {
		case Fail:
			return Failure
		case Wait:
			c = Pending
		}
	}
	return c
}
