package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"ipledger/ledger"
	"ipledger/registry"
)

// ErrBadToken means the token is unknown, malformed or revoked; callers must not say which.
var ErrBadToken = errors.New("access: unknown or revoked token")

// TokenPrefix marks ipledger tokens, so secret scanners can find leaked ones.
const TokenPrefix = "ipl_"

// Service issues, rotates, revokes and checks tokens.
type Service struct {
	l     *ledger.Ledger
	cache *tokenCache
}

// New returns the access service over the ledger.
func New(l *ledger.Ledger) *Service { return &Service{l: l, cache: newTokenCache(l.DB().DB)} }

// NewToken returns a fresh token with 256 random bits.
func NewToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

func digest(token string) []byte {
	d := sha256.Sum256([]byte(token))
	return d[:]
}

// Authenticate returns the principal holding token. Tokens are found by their SHA-256 digest
// (an index lookup whose timing says nothing about other tokens) and compared again in
// constant time.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) > 200 {
		// Same work as a lookup, so a malformed token answers no faster than a wrong one.
		_ = subtle.ConstantTimeCompare(digest(token), digest(TokenPrefix))
		var n int
		_ = s.l.DB().QueryRowContext(ctx, `SELECT count(*) FROM access.tokens WHERE digest = ?`, digest(token)).Scan(&n)
		return Principal{}, ErrBadToken
	}
	return s.AuthenticateDigest(ctx, digest(token))
}

// TokenDigest is the SHA-256 digest a token is stored under: a verifier, not a secret (the
// ledger records it too). The console keeps it in a session instead of the token.
func TokenDigest(token string) []byte { return digest(token) }

// AuthenticateDigest returns the principal holding the token with digest d, like
// Authenticate: a revoked token or principal is ErrBadToken. The console re-checks its
// sessions with it on every request, so a revocation ends them at once.
func (s *Service) AuthenticateDigest(ctx context.Context, d []byte) (Principal, error) {
	// The count is read before the lookup: a revocation after it moves the count, so the
	// answer cached below is never trusted past it.
	epoch, err := s.cache.epoch(ctx)
	if err != nil {
		return Principal{}, err
	}
	if p, ok := s.cache.get(d, epoch); ok {
		return p, nil
	}
	p, err := s.lookupDigest(ctx, d)
	if err == nil {
		s.cache.put(d, epoch, p)
	}
	return p, err
}

func (s *Service) lookupDigest(ctx context.Context, d []byte) (Principal, error) {
	var (
		p      Principal
		stored []byte
		party  sql.NullString
	)
	err := s.l.DB().QueryRowContext(ctx, `
		SELECT t.digest, p.id, p.name, p.role, p.party_id
		FROM access.tokens t JOIN access.principals p ON p.id = t.principal_id
		WHERE t.digest = ? AND t.revoked_at IS NULL AND p.revoked_at IS NULL`, d,
	).Scan(&stored, &p.ID, &p.Name, &p.Role, &party)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, ErrBadToken
	}
	if err != nil {
		return Principal{}, fmt.Errorf("access: authenticate: %w", err)
	}
	if subtle.ConstantTimeCompare(stored, d) != 1 {
		return Principal{}, ErrBadToken
	}
	p.PartyID = party.String
	return p, nil
}

// created is the payload of principal.created. The token digest is a verifier, not a secret;
// it is in the ledger so the tokens table can be rebuilt by replay.
type created struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Role        Role   `json:"role"`
	PartyID     string `json:"party_id,omitempty"`
	TokenSHA256 string `json:"token_sha256"`
}

type tokenIssued struct {
	PrincipalID string `json:"principal_id"`
	TokenSHA256 string `json:"token_sha256"`
	Replaces    string `json:"revokes_tokens,omitempty"`
}

type revoked struct {
	PrincipalID string `json:"principal_id"`
}

// Create adds a principal and returns it with its first token, shown this once.
func (s *Service) Create(ctx context.Context, name string, role Role, partyID string) (Principal, string, error) {
	return s.create(ctx, name, role, partyID, NewToken())
}

func (s *Service) create(ctx context.Context, name string, role Role, partyID, token string) (Principal, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return Principal{}, "", registry.Errorf(registry.Invalid, "name_invalid", "name", "name is required, at most 200 characters")
	}
	if err := registry.CheckText("name", name, false); err != nil {
		return Principal{}, "", err
	}
	if !role.Valid() {
		return Principal{}, "", registry.Errorf(registry.Invalid, "role_unknown", "role", "role must be one of admin, registrar, bank, planner, auditor")
	}
	if role == Bank && partyID == "" {
		return Principal{}, "", registry.Errorf(registry.Invalid, "party_required", "party_id", "a bank principal is bound to its bank party: party_id is required")
	}
	if role != Bank && partyID != "" {
		return Principal{}, "", registry.Errorf(registry.Invalid, "party_not_allowed", "party_id", "only bank principals are bound to a party")
	}
	if partyID != "" {
		if _, err := uuid.Parse(partyID); err != nil {
			return Principal{}, "", registry.Errorf(registry.Invalid, "party_id_invalid", "party_id", "party_id is not a UUID")
		}
	}
	p := Principal{ID: uuid.Must(uuid.NewV7()).String(), Name: name, Role: role, PartyID: partyID}
	_, err := s.l.Write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		if partyID != "" {
			var kind string
			err := tx.DB().QueryRowContext(ctx, `SELECT kind FROM registry.parties WHERE id = ?`, partyID).Scan(&kind)
			if errors.Is(err, sql.ErrNoRows) {
				return registry.Errorf(registry.Invalid, "party_unknown", "party_id", "no party %s", partyID)
			}
			if err != nil {
				return fmt.Errorf("access: read party: %w", err)
			}
			if !registry.PartyKind(kind).Pledgee() {
				return registry.Errorf(registry.Invalid, "party_not_bank", "party_id", "party %s is a %s: a bank principal acts for a bank, a guarantor or a financial institution", partyID, kind)
			}
		}
		e, err := tx.Append(ledger.Draft{
			Kind: "principal.created", Subject: "principal/" + p.ID, EffectiveOn: tx.Now(),
			Payload: created{ID: p.ID, Name: p.Name, Role: p.Role, PartyID: p.PartyID, TokenSHA256: hex.EncodeToString(digest(token))},
		})
		if err != nil {
			return err
		}
		return Apply(ctx, tx.DB(), e)
	})
	if err != nil {
		return Principal{}, "", err
	}
	return p, token, nil
}

// Rotate issues a new token for the principal and revokes its old ones at once.
func (s *Service) Rotate(ctx context.Context, id string) (string, error) {
	token := NewToken()
	_, err := s.l.Write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		if err := mustBeActive(ctx, tx.DB(), id); err != nil {
			return err
		}
		e, err := tx.Append(ledger.Draft{
			Kind: "principal.token_rotated", Subject: "principal/" + id, EffectiveOn: tx.Now(),
			Payload: tokenIssued{PrincipalID: id, TokenSHA256: hex.EncodeToString(digest(token)), Replaces: "all"},
		})
		if err != nil {
			return err
		}
		return Apply(ctx, tx.DB(), e)
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// Revoke ends the principal and all its tokens; the next request with them is refused.
func (s *Service) Revoke(ctx context.Context, id string) error {
	_, err := s.l.Write(ctx, func(ctx context.Context, tx *ledger.Tx) error {
		if err := mustBeActive(ctx, tx.DB(), id); err != nil {
			return err
		}
		e, err := tx.Append(ledger.Draft{Kind: "principal.revoked", Subject: "principal/" + id, EffectiveOn: tx.Now(), Payload: revoked{PrincipalID: id}})
		if err != nil {
			return err
		}
		return Apply(ctx, tx.DB(), e)
	})
	return err
}

func mustBeActive(ctx context.Context, db bun.IDB, id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return registry.Errorf(registry.NotFound, "principal_not_found", "path.id", "no principal %s", id)
	}
	var revokedAt sql.NullTime
	err := db.QueryRowContext(ctx, `SELECT revoked_at FROM access.principals WHERE id = ? FOR UPDATE`, id).Scan(&revokedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return registry.Errorf(registry.NotFound, "principal_not_found", "path.id", "no principal %s", id)
	}
	if err != nil {
		return fmt.Errorf("access: read principal: %w", err)
	}
	if revokedAt.Valid {
		return registry.Errorf(registry.Conflict, "principal_revoked", "path.id", "principal %s was revoked", id)
	}
	return nil
}

// Apply projects one principal.* entry; replay calls it for every such entry in order.
func Apply(ctx context.Context, db bun.IDB, e ledger.Entry) error {
	var err error
	switch e.Kind {
	case "principal.created":
		var c created
		if err = unmarshal(e, &c); err != nil {
			return err
		}
		var party any
		if c.PartyID != "" {
			party = c.PartyID
		}
		if _, err = db.ExecContext(ctx, `INSERT INTO access.principals (id, name, role, party_id, created_at) VALUES (?, ?, ?, ?, ?)`,
			c.ID, c.Name, string(c.Role), party, e.RecordedAt); err != nil {
			return fmt.Errorf("access: project %s: %w", e.Kind, err)
		}
		return insertToken(ctx, db, c.ID, c.TokenSHA256, e.RecordedAt)
	case "principal.token_rotated":
		var t tokenIssued
		if err = unmarshal(e, &t); err != nil {
			return err
		}
		if _, err = db.ExecContext(ctx, `UPDATE access.tokens SET revoked_at = ? WHERE principal_id = ? AND revoked_at IS NULL`, e.RecordedAt, t.PrincipalID); err != nil {
			return fmt.Errorf("access: project %s: %w", e.Kind, err)
		}
		return insertToken(ctx, db, t.PrincipalID, t.TokenSHA256, e.RecordedAt)
	case "principal.revoked":
		var r revoked
		if err = unmarshal(e, &r); err != nil {
			return err
		}
		if _, err = db.ExecContext(ctx, `UPDATE access.principals SET revoked_at = ? WHERE id = ?`, e.RecordedAt, r.PrincipalID); err != nil {
			return fmt.Errorf("access: project %s: %w", e.Kind, err)
		}
		_, err = db.ExecContext(ctx, `UPDATE access.tokens SET revoked_at = ? WHERE principal_id = ? AND revoked_at IS NULL`, e.RecordedAt, r.PrincipalID)
	}
	if err != nil {
		return fmt.Errorf("access: project %s: %w", e.Kind, err)
	}
	return nil
}

func insertToken(ctx context.Context, db bun.IDB, principal, hexDigest string, at time.Time) error {
	d, err := hex.DecodeString(hexDigest)
	if err != nil || len(d) != 32 {
		return fmt.Errorf("access: token digest in ledger is not 32 bytes of hex")
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO access.tokens (digest, principal_id, issued_at) VALUES (?, ?, ?)`, d, principal, at); err != nil {
		return fmt.Errorf("access: project token: %w", err)
	}
	return nil
}

// View is a principal as listed.
type View struct {
	Principal
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

// Get returns one principal.
func (s *Service) Get(ctx context.Context, id string) (View, error) {
	if _, err := uuid.Parse(id); err != nil {
		return View{}, registry.Errorf(registry.NotFound, "principal_not_found", "path.id", "no principal %s", id)
	}
	vs, err := s.list(ctx, `WHERE id = ?`, id)
	if err != nil {
		return View{}, err
	}
	if len(vs) == 0 {
		return View{}, registry.Errorf(registry.NotFound, "principal_not_found", "path.id", "no principal %s", id)
	}
	return vs[0], nil
}

// List returns principals ordered by id (creation order: ids are UUIDv7), after the cursor id.
func (s *Service) List(ctx context.Context, after string, limit int) ([]View, error) {
	if after == "" {
		return s.list(ctx, `ORDER BY id LIMIT ?`, limit)
	}
	if _, err := uuid.Parse(after); err != nil {
		return nil, registry.Errorf(registry.Invalid, "cursor_invalid", "query.cursor", "cursor is not one this API gave out")
	}
	return s.list(ctx, `WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
}

func (s *Service) list(ctx context.Context, where string, args ...any) ([]View, error) {
	rows, err := s.l.DB().QueryContext(ctx, `SELECT id, name, role, coalesce(party_id::text, ''), created_at, revoked_at FROM access.principals `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("access: list: %w", err)
	}
	defer rows.Close()
	var out []View
	for rows.Next() {
		var v View
		var rev sql.NullTime
		if err := rows.Scan(&v.ID, &v.Name, &v.Role, &v.PartyID, &v.CreatedAt, &rev); err != nil {
			return nil, fmt.Errorf("access: list: %w", err)
		}
		if rev.Valid {
			t := rev.Time
			v.RevokedAt = &t
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Bootstrap makes sure an admin exists. With no admin yet it creates one holding token (a
// fresh token when empty) and returns it; otherwise it returns "" and does nothing.
func (s *Service) Bootstrap(ctx context.Context, token string) (string, error) {
	var n int
	if err := s.l.DB().QueryRowContext(ctx, `SELECT count(*) FROM access.principals WHERE role = 'admin' AND revoked_at IS NULL`).Scan(&n); err != nil {
		return "", fmt.Errorf("access: bootstrap: %w", err)
	}
	if n > 0 {
		return "", nil
	}
	if token == "" {
		token = NewToken()
	}
	// As long as the tokens NewToken makes (256 bits): a digest of a short chosen token in
	// the ledger could be guessed offline.
	if !strings.HasPrefix(token, TokenPrefix) || len(token) < len(NewToken()) {
		return "", fmt.Errorf("access: the bootstrap token must look like those `ipledger token new` prints (%q and 43 random characters)", TokenPrefix)
	}
	_, tok, err := s.create(ledger.WithActor(ctx, "system"), "bootstrap admin", Admin, "", token)
	return tok, err
}

func unmarshal(e ledger.Entry, v any) error {
	if err := json.Unmarshal(e.Payload, v); err != nil {
		return fmt.Errorf("access: entry %d payload: %w", e.Seq, err)
	}
	return nil
}
