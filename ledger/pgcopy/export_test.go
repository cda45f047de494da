package pgcopy

// Data is the text r sends.
func Data(r *Rows) []byte { return r.b }
