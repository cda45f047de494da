package console

import (
	"net/http"
	"strconv"

	"ipledger/ledger"
)

type ledgerData struct {
	HeadSeq   int64
	HeadHash  string
	Recent    []entryRow
	CanExport bool
	Verify    *ledger.Report
}

// ledgerPage shows the chain head, the latest entries, a button to verify the whole chain
// and the export.
func (c *Console) ledgerPage(w http.ResponseWriter, r *http.Request) {
	var (
		seq  int64
		hash []byte
	)
	// The head row moves with every write, in the same transaction as the entries.
	if err := c.Ledger.DB().QueryRowContext(r.Context(), `SELECT seq, hash FROM ledger.head`).Scan(&seq, &hash); err != nil {
		c.notFoundOr(w, r, err)
		return
	}
	var h ledger.Hash
	copy(h[:], hash)
	d := ledgerData{HeadSeq: seq, HeadHash: h.String(), CanExport: c.can(r, "list-ledger-entries")}
	es, err := ledger.List(r.Context(), c.Ledger.DB(), ledger.Filter{After: max(0, seq-20), Limit: 20})
	if err != nil {
		c.notFoundOr(w, r, err)
		return
	}
	d.Recent = c.entryRows(r, es)
	c.render(w, r, http.StatusOK, "ledger", "title_ledger", d)
}

// ledgerVerify recomputes the chain, as GET /v1/ledger/verify does, on the primary.
func (c *Console) ledgerVerify(w http.ResponseWriter, r *http.Request) {
	rep, err := ledger.Verify(r.Context(), c.Ledger.DB())
	if err != nil {
		c.notFoundOr(w, r, err)
		return
	}
	c.fragment(w, r, http.StatusOK, "ledger", "verify", ledgerData{Verify: &rep, HeadSeq: rep.HeadSeq, HeadHash: rep.HeadHash.String()})
}

// ledgerExport streams every entry as export lines (docs/LEDGER.md), which ipledger verify
// checks offline.
func (c *Console) ledgerExport(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Content-Disposition", `attachment; filename="ledger.ndjson"`)
	n, err := ledger.Export(r.Context(), c.ReadDB, w, 1, 0)
	if err != nil {
		c.Log.ErrorContext(r.Context(), "console ledger export", "err", err, "written", strconv.FormatInt(n, 10))
	}
}
