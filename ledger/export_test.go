package ledger

// ReadNodesSQL is the node lookup, for tests that look at its plan.
var ReadNodesSQL = readNodesSQL
