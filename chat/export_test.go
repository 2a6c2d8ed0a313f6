package chat

// WithCrisisBand returns a copy of r whose model-only crisis verdicts start
// at from and are sure at sure, for tests of the signpost-and-answer path.
func (r *Router) WithCrisisBand(from, sure float64) *Router {
	c := *r
	c.th.crisis, c.th.crisisSure = from, sure
	return &c
}
