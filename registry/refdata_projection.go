package registry

import (
	"context"

	"github.com/uptrace/bun"

	"ipledger/ledger"
	"ipledger/registry/ident"
)

func applyRegion(ctx context.Context, db bun.IDB, e ledger.Entry) error {
	var r regionPayload
	if err := decode(e, &r); err != nil {
		return err
	}
	var parent any
	if r.ParentCode != "" {
		parent = r.ParentCode
	}
	_, err := db.ExecContext(ctx, `INSERT INTO registry.regions (code, name_zh, name_en, parent_code, is_unit, seq)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (code) DO UPDATE SET name_zh = EXCLUDED.name_zh, name_en = EXCLUDED.name_en,
		  parent_code = EXCLUDED.parent_code, is_unit = EXCLUDED.is_unit, seq = EXCLUDED.seq`,
		r.Code, r.NameZH, r.NameEN, parent, r.IsUnit, e.Seq)
	return err
}

func applyParam(ctx context.Context, db bun.IDB, e ledger.Entry) error {
	forgetPolicy(ctx)
	var p paramPayload
	if err := decode(e, &p); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx,
		`UPDATE registry.params SET known_to = ? WHERE name = ? AND known_to IS NULL`, e.Seq, p.Name); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx,
		`INSERT INTO registry.params (name, value, effective_on, known_from) VALUES (?, ?, ?, ?)`,
		p.Name, string(p.Value), e.EffectiveDate(), e.Seq); err != nil {
		return err
	}
	if spec, ok := paramSpecs[p.Name]; ok && spec.affects != "" {
		return recomputeKind(ctx, db, spec.affects, e.Seq)
	}
	return nil
}

func applyConcordance(ctx context.Context, db bun.IDB, e ledger.Entry) error {
	forgetPolicy(ctx)
	var p concordancePayload
	if err := decode(e, &p); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx,
		`UPDATE registry.ipc_concordance SET known_to = ? WHERE known_to IS NULL`, e.Seq); err != nil {
		return err
	}
	for _, r := range p.Rows {
		if _, err := db.ExecContext(ctx,
			`INSERT INTO registry.ipc_concordance (ipc_prefix, industry, known_from) VALUES (?, ?, ?)`,
			r.IPCPrefix, r.Industry, e.Seq); err != nil {
			return err
		}
	}
	return recomputeKind(ctx, db, string(ident.InventionPatent), e.Seq)
}
