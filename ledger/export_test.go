package ledger

// ReadNodesSQL is the node lookup, for tests that look at its plan.
var ReadNodesSQL = readNodesSQL

// EntriesCopied is the batch size from which entries are copied.
const EntriesCopied = entriesCopied
