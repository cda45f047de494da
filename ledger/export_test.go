package ledger

// ReadNodesSQL is the node lookup, for tests that look at its plan.
var ReadNodesSQL = readNodesSQL

// EntriesAsArrays is the batch size from which entries are inserted as arrays.
const EntriesAsArrays = entriesAsArrays
