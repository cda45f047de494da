package openapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"ipledger/ledger"
	"ipledger/registry"
	"ipledger/registry/access"
)

// The Merkle log's read side (docs/LEDGER.md "The Merkle log"): checkpoints, the verifier
// key, receipts, consistency proofs, and the C2SP tlog-tiles paths that any tiles client or
// witness follows without an account.

// seqHeader is on every response of a request that wrote: the last seq it wrote.
const seqHeader = "Ipledger-Seq"

type textOutput struct {
	ContentType  string `header:"Content-Type"`
	CacheControl string `header:"Cache-Control"`
	Body         []byte
}

func plainText(desc string) map[string]*huma.Response {
	return map[string]*huma.Response{"200": {Description: desc, Content: map[string]*huma.MediaType{
		"text/plain": {Schema: &huma.Schema{Type: "string"}},
	}}}
}

type receiptOutput struct{ Body ledger.Receipt }

type consistencyOutput struct{ Body ledger.Consistency }

// receiptReaders may see entries: the office's readers all of them, a bank its own pledges'.
var receiptReaders = roles(access.Admin, access.Auditor, access.Registrar, access.Bank)

func (s *Server) registerTlog() {
	checkpoint := func(ctx context.Context, _ *struct{}) (*textOutput, error) {
		cp, err := ledger.LatestCheckpoint(ctx, s.Ledger.DB())
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &textOutput{ContentType: "text/plain; charset=utf-8", CacheControl: "no-cache", Body: cp.Note}, nil
	}
	const cpDesc = "The latest signed checkpoint: a C2SP tlog-checkpoint (origin line, tree size, base64 RFC 6962 root hash) " +
		"in a C2SP signed note with an Ed25519 signature by the key at GET /v1/ledger/key. Every commit signs one, in the commit's own transaction. " +
		"Byte by byte in docs/LEDGER.md."
	register(s, huma.Operation{
		OperationID: "get-ledger-checkpoint", Method: http.MethodGet, Path: "/v1/ledger/checkpoint", Tags: []string{"ledger"},
		Summary: "The log's latest signed checkpoint", Description: cpDesc,
		Responses: plainText("The signed note"), Errors: []int{http.StatusServiceUnavailable},
	}, anyone(), checkpoint)
	register(s, huma.Operation{
		OperationID: "get-tlog-checkpoint", Method: http.MethodGet, Path: "/tlog/checkpoint", Tags: []string{"tlog"},
		Summary: "C2SP tlog-tiles: the latest checkpoint", Description: cpDesc,
		Responses: plainText("The signed note"), Errors: []int{http.StatusServiceUnavailable},
	}, anyone(), checkpoint)

	register(s, huma.Operation{
		OperationID: "get-ledger-key", Method: http.MethodGet, Path: "/v1/ledger/key", Tags: []string{"ledger"},
		Summary:     "The key that signs checkpoints",
		Description: "The note verifier key `<name>+<key hash, 8 hex digits>+<base64(0x01 ‖ Ed25519 public key)>` (golang.org/x/mod/sumdb/note), one line. Keep it apart from the server: a receipt is only as good as the key it is checked with.",
		Responses:   plainText("The verifier key"),
	}, anyone(), func(ctx context.Context, _ *struct{}) (*textOutput, error) {
		if s.Ledger == nil {
			return nil, newProblem(http.StatusServiceUnavailable, "unavailable", "no ledger")
		}
		return &textOutput{ContentType: "text/plain; charset=utf-8", CacheControl: "no-cache", Body: []byte(s.Ledger.Key().VerifierKey() + "\n")}, nil
	})

	register(s, huma.Operation{
		OperationID: "get-ledger-receipt", Method: http.MethodGet, Path: "/v1/ledger/receipts/{seq}", Tags: []string{"ledger"},
		Summary: "A receipt for one entry, to keep and check offline",
		Description: "The entry (every hashed field, as an export line), the latest signed checkpoint (which covers it) and the RFC 6962 inclusion proof " +
			"of the entry's leaf (index seq − 1) in that checkpoint's tree. Check it with `ipledger receipt verify FILE --key KEY` or by docs/LEDGER.md. " +
			"A bank gets receipts for its own pledges' entries only; any other entry is 404 to it, as if it did not exist.",
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}, receiptReaders, func(ctx context.Context, in *struct {
		Seq int64 `path:"seq" minimum:"1" doc:"The entry's seq (Ipledger-Seq of the write)"`
	}) (*receiptOutput, error) {
		// From the primary (a seq just written is there, and its checkpoint with it), in one
		// round trip; the access check then decides whether it is shown.
		r, e, err := s.Ledger.Receipt(ctx, in.Seq)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		if ok, err := s.maySee(ctx, e); err != nil {
			return nil, s.problemFrom(ctx, err)
		} else if !ok {
			return nil, s.problemFrom(ctx, ledger.ErrNotFound)
		}
		return &receiptOutput{Body: r}, nil
	})

	register(s, huma.Operation{
		OperationID: "get-consistency-proof", Method: http.MethodGet, Path: "/v1/ledger/proof/consistency", Tags: []string{"ledger"},
		Summary: "Proof that the log of size `from` is a prefix of the log of size `to`",
		Description: "The RFC 6962 consistency proof between two tree sizes, both at most the latest checkpoint's. " +
			"With a checkpoint kept from before, it shows that nothing it covered was changed since (`ipledger audit`).",
		Errors: []int{http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}, roles(access.Roles()...), func(ctx context.Context, in *struct {
		From int64 `query:"from" required:"true" minimum:"1" doc:"The older tree size"`
		To   int64 `query:"to" required:"true" minimum:"1" doc:"The newer tree size"`
	}) (*consistencyOutput, error) {
		db := s.Ledger.DB()
		cp, err := ledger.LatestCheckpoint(ctx, db)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		bad := func(field, msg string, v int64) error {
			p := newProblem(http.StatusUnprocessableEntity, "proof_range_invalid", msg)
			p.Errors = []FieldError{{Location: "query." + field, Message: msg, Value: v}}
			return p
		}
		switch {
		case in.To > cp.Size:
			return nil, bad("to", "the log has "+strconv.FormatInt(cp.Size, 10)+" entries in its latest checkpoint", in.To)
		case in.From > in.To:
			return nil, bad("from", "from must not be greater than to", in.From)
		}
		p, err := ledger.ConsistencyProof(ctx, db, in.From, in.To)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &consistencyOutput{Body: p}, nil
	})

	s.registerTiles()
	s.documentSeqHeader()
}

// maySee reports whether the caller may see entry e: a bank only its own pledges' entries.
func (s *Server) maySee(ctx context.Context, e ledger.Entry) (bool, error) {
	p, _ := principalFrom(ctx)
	if p.Role != access.Bank {
		return true, nil
	}
	rest, ok := strings.CutPrefix(e.Subject, "pledge/")
	if !ok {
		return false, nil
	}
	id, err := uuid.Parse(rest)
	if err != nil {
		return false, nil
	}
	_, err = s.Registry.GetPledge(ctx, pledgeViewer(ctx), id)
	if de, ok := registry.AsError(err); ok && de.Class == registry.NotFound {
		return false, nil
	}
	return err == nil, err
}

// tilePrefix is the C2SP tlog-tiles path of hash tiles: /tlog/tile/<L>/<N>[.p/<W>].
const tilePrefix = "/tlog/tile/"

// registerTiles serves tiles with plain net/http (N spans several path segments, which no
// OpenAPI path template can), and lists the operation, public, in the document.
func (s *Server) registerTiles() {
	op := &huma.Operation{
		OperationID: "get-tlog-tile", Method: http.MethodGet, Path: "/tlog/tile/{L}/{N}", Tags: []string{"tlog"},
		Summary: "C2SP tlog-tiles: a tile of hashes",
		Description: "Tile `N` at tile level `L` (height 8): the concatenated 32-byte hashes of the tree nodes at level 8·L, " +
			"indexes 256·N … 256·N+255, or the first `W` of them as `/tlog/tile/{L}/{N}.p/{W}`. Level 0 tiles hold leaf hashes " +
			"SHA-256(0x00 ‖ entry hash). `N` is written in groups of three digits, all but the last prefixed with `x` " +
			"(1234067 is `x001/x234/067`). Full tiles never change. Hashes only: the entries themselves are not served here.\n\n**Access:** public, no token.",
		Parameters: []*huma.Param{
			{Name: "L", In: "path", Required: true, Schema: &huma.Schema{Type: "integer", Minimum: ptr(0.0), Maximum: ptr(7.0)}},
			{Name: "N", In: "path", Required: true, Description: "The tile index, path-encoded (x001/x234/067), optionally followed by .p/<W> (1 ≤ W ≤ 255)", Schema: &huma.Schema{Type: "string"}},
		},
		Security: []map[string][]string{},
		Responses: map[string]*huma.Response{
			"200": {Description: "256 (or W) hashes of 32 bytes", Content: map[string]*huma.MediaType{"application/octet-stream": {Schema: &huma.Schema{Type: "string", Format: "binary"}}}},
			"404": {Description: "No such tile in the latest checkpoint's tree", Content: map[string]*huma.MediaType{"application/problem+json": {Schema: &huma.Schema{Ref: "#/components/schemas/Problem"}}}},
		},
	}
	s.api.OpenAPI().AddOperation(op)
	s.rules[op.OperationID] = anyone()
	s.mux.HandleFunc("GET "+tilePrefix, s.serveTile)
}

func (s *Server) serveTile(w http.ResponseWriter, r *http.Request) {
	notFound := func(detail string) {
		writeProblem(w, r, newProblem(http.StatusNotFound, "tile_not_found", detail))
	}
	t, err := tlog.ParseTilePath("tile/8/" + strings.TrimPrefix(r.URL.Path, tilePrefix))
	if err != nil || t.L < 0 {
		notFound("not a tile path: /tlog/tile/<L>/<N>[.p/<W>], N in x### groups")
		return
	}
	if s.Ledger == nil {
		writeProblem(w, r, newProblem(http.StatusServiceUnavailable, "unavailable", "no ledger"))
		return
	}
	b, err := ledger.Tile(r.Context(), s.Ledger.DB(), t.L, t.N, t.W)
	switch {
	case errors.Is(err, ledger.ErrNoTile):
		notFound("the log's tree has no such tile (yet)")
		return
	case err != nil:
		s.log.ErrorContext(r.Context(), "tile", "err", err)
		writeProblem(w, r, newProblem(http.StatusInternalServerError, "internal", "internal error"))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if t.W == 1<<ledger.TileHeight {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	_, _ = w.Write(b)
}

// documentSeqHeader lists Ipledger-Seq on the success responses of every operation that
// writes.
func (s *Server) documentSeqHeader() {
	for _, item := range s.api.OpenAPI().Paths {
		for _, op := range []*huma.Operation{item.Post, item.Put, item.Patch, item.Delete} {
			if op == nil {
				continue
			}
			for code, resp := range op.Responses {
				if !strings.HasPrefix(code, "2") {
					continue
				}
				if resp.Headers == nil {
					resp.Headers = map[string]*huma.Param{}
				}
				resp.Headers[seqHeader] = &huma.Param{
					Description: "The last ledger entry this request wrote (its receipt: GET /v1/ledger/receipts/{seq}); absent when it wrote none",
					Schema:      &huma.Schema{Type: "integer", Format: "int64"},
				}
			}
		}
	}
}

// writtenSeq puts Ipledger-Seq on the response of every request that wrote: the last seq its
// ledger writes committed, or, for a replayed idempotent response, the first request's.
func (s *Server) writtenSeq(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead || s.Ledger == nil {
			next.ServeHTTP(w, r)
			return
		}
		ctx, written := ledger.WithWritten(r.Context())
		next.ServeHTTP(&seqWriter{ResponseWriter: w, s: s, r: r, written: written}, r.WithContext(ctx))
	})
}

type seqWriter struct {
	http.ResponseWriter
	s       *Server
	r       *http.Request
	written *ledger.Written
	done    bool
}

func (w *seqWriter) setSeq() {
	if w.done {
		return
	}
	w.done = true
	seq := w.written.Seq()
	if seq == 0 && w.Header().Get("Idempotent-Replayed") == "true" {
		if p, ok := principalFrom(w.r.Context()); ok {
			n, found, err := ledger.LastSeqOfKey(w.r.Context(), w.s.Ledger.DB(), p.Actor(), w.r.Header.Get("Idempotency-Key"))
			if err != nil {
				w.s.log.ErrorContext(w.r.Context(), "replayed seq", "err", err)
			}
			if found {
				seq = n
			}
		}
	}
	if seq > 0 {
		w.Header().Set(seqHeader, strconv.FormatInt(seq, 10))
	}
}

func (w *seqWriter) WriteHeader(code int) {
	w.setSeq()
	w.ResponseWriter.WriteHeader(code)
}

func (w *seqWriter) Write(b []byte) (int, error) {
	w.setSeq()
	return w.ResponseWriter.Write(b)
}

func (w *seqWriter) Flush() {
	w.setSeq()
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *seqWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
