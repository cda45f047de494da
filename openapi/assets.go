package openapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"ipledger/ledger"
	"ipledger/registry"
	"ipledger/registry/ident"
	"ipledger/registry/importer"
)

// AssetView is an IP asset as of a date.
type AssetView struct {
	ID                string         `json:"id" format:"uuid"`
	Kind              string         `json:"kind"`
	Number            string         `json:"number" doc:"Canonical form, e.g. 201310699744.2"`
	DisplayNumber     string         `json:"display_number" doc:"As printed on the certificate, e.g. ZL201310699744.2"`
	Title             string         `json:"title"`
	Owners            []OwnerView    `json:"owners"`
	RegionCode        string         `json:"region_code"`
	FiledOn           *string        `json:"filed_on" format:"date"`
	GrantedOn         *string        `json:"granted_on" format:"date"`
	AsOf              *string        `json:"as_of" format:"date" doc:"The date status, valid and high_value answer for"`
	Status            string         `json:"status" doc:"pending, valid, expired, lapsed, invalidated, …"`
	Valid             bool           `json:"valid"`
	ExpiresOn         *string        `json:"expires_on" format:"date" doc:"The last valid day; null for rights without a term"`
	Frozen            bool           `json:"frozen"`
	Pledged           bool           `json:"pledged" doc:"In an active pledge now"`
	WellKnown         bool           `json:"well_known"`
	HighValue         HighValueView  `json:"high_value"`
	StrategicIndustry string         `json:"strategic_industry,omitempty"`
	ForeignFamily     []FamilyView   `json:"foreign_family,omitempty"`
	Awards            []AwardView    `json:"awards,omitempty"`
	Attributes        AttributesView `json:"attributes"`
}

// OwnerView names an owner.
type OwnerView struct {
	ID   string `json:"id" format:"uuid"`
	Name string `json:"name"`
}

// HighValueView says whether an invention patent counts as high-value on the as-of date.
type HighValueView struct {
	Value    bool     `json:"value"`
	Criteria []string `json:"criteria" nullable:"false" doc:"Which hold: strategic_industry, foreign_family, maintained_10y, pledge_financing, award"`
}

// FamilyView is an overseas family member.
type FamilyView struct {
	Country   string  `json:"country"`
	Number    string  `json:"number"`
	Date      *string `json:"date" format:"date"`
	Status    string  `json:"status,omitempty" doc:"granted or pending; absent when recorded without one"`
	GrantedOn *string `json:"granted_on,omitempty" format:"date"`
}

// AwardView is a prize.
type AwardView struct {
	Award string  `json:"award"`
	Level string  `json:"level,omitempty"`
	On    *string `json:"on" format:"date"`
}

// AttributesView holds kind-specific data.
type AttributesView struct {
	IPC      []string `json:"ipc,omitempty" doc:"Patents: IPC classes, e.g. H01M10/0525"`
	Category string   `json:"category,omitempty" doc:"Plant varieties: tree_vine for trees and vines (longer term)"`
}

func assetView(a registry.Asset) AssetView {
	v := AssetView{
		ID: a.ID.String(), Kind: string(a.Kind), Number: a.Number, DisplayNumber: a.DisplayNumber, Title: a.Title,
		RegionCode: a.RegionCode, FiledOn: dateStr(a.FiledOn), GrantedOn: dateStr(a.GrantedOn), AsOf: dateStr(a.AsOf),
		Status: a.Status, Valid: a.Valid, ExpiresOn: dateStr(a.ExpiresOn), Frozen: a.Frozen, Pledged: a.Pledged,
		WellKnown: a.WellKnown, StrategicIndustry: a.StrategicIndustry,
		HighValue:  HighValueView{Value: a.HighValue.Value, Criteria: append([]string{}, a.HighValue.Criteria...)},
		Attributes: AttributesView{IPC: a.Attributes.IPC, Category: a.Attributes.Category},
		Owners:     make([]OwnerView, 0, len(a.Owners)),
	}
	for _, o := range a.Owners {
		v.Owners = append(v.Owners, OwnerView{ID: o.ID.String(), Name: o.Name})
	}
	for _, f := range a.ForeignFamily {
		v.ForeignFamily = append(v.ForeignFamily, FamilyView{Country: f.Country, Number: f.Number, Date: dateStr(f.Date),
			Status: f.Status, GrantedOn: dateStr(f.GrantedOn)})
	}
	for _, w := range a.Awards {
		v.Awards = append(v.Awards, AwardView{Award: w.Award, Level: w.Level, On: dateStr(w.On)})
	}
	return v
}

type createAssetInput struct {
	Body struct {
		Kind       string         `json:"kind" enum:"invention_patent,utility_model,design_patent,trademark,gi_certification_mark,gi_collective_mark,gi_product,software_copyright,work_copyright,plant_variety"`
		Number     string         `json:"number" minLength:"1" maxLength:"64" doc:"Patents: application or patent no., with or without ZL, spaces or the dot (ZL2013106997442); trademarks: registration no.; software: 2019SR0123456; plant varieties: application no. or CNA…"`
		Title      string         `json:"title" minLength:"1" maxLength:"500"`
		OwnerIDs   []string       `json:"owner_ids" minItems:"1" maxItems:"50" doc:"Party ids; the first owner decides the default region"`
		RegionCode string         `json:"region_code,omitempty" maxLength:"6" doc:"Default: the first owner's unit"`
		FiledOn    string         `json:"filed_on,omitempty" format:"date" doc:"Filing (application) date; patents: required, its year must match the number's"`
		GrantedOn  string         `json:"granted_on,omitempty" format:"date" doc:"Grant / registration / announcement date, when already granted"`
		Attributes AttributesView `json:"attributes,omitempty"`
	}
}

// awardCode and licenseType take their enums from the registry's lists, so the rule and the
// document are one list.
type awardCode string

func (awardCode) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: "string", Enum: enumOf(registry.Awards)}
}

type licenseType string

func (licenseType) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: "string", Enum: enumOf(registry.LicenseTypes)}
}

func enumOf(vs []string) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

type assetEventInput struct {
	ID   string `path:"id"`
	AsOf string `query:"as_of" format:"date" doc:"Answer with the asset as of this date (default: the event's effective_on, where the event shows)"`
	Body struct {
		Type            string      `json:"type" enum:"grant,renew,lapse,restore,invalidate,transfer,license,freeze,unfreeze,designate_strategic_industry,add_foreign_family,award,recognise_well_known,set_region"`
		EffectiveOn     string      `json:"effective_on" format:"date" doc:"The business date of the event (not after today)"`
		OwnerIDs        []string    `json:"owner_ids,omitempty" maxItems:"50" doc:"transfer: the new owners"`
		PledgeeConsent  bool        `json:"pledgee_consent,omitempty" doc:"transfer/license of a pledged right: the pledgee's consent is recorded with it"`
		LicenseeID      string      `json:"licensee_id,omitempty" doc:"license (required): the licensee party"`
		LicenseType     licenseType `json:"license_type,omitempty" doc:"license (required): exclusive (独占许可), sole (排他许可) or ordinary (普通许可)"`
		CaseNumber      string      `json:"case_number,omitempty" maxLength:"100" doc:"freeze/unfreeze: the court's case number"`
		Industry        string      `json:"industry,omitempty" maxLength:"100" doc:"designate_strategic_industry: the category"`
		Country         string      `json:"country,omitempty" maxLength:"8" doc:"add_foreign_family: office code, e.g. US, EP, WO"`
		FamilyNumber    string      `json:"family_number,omitempty" maxLength:"64"`
		FamilyDate      string      `json:"family_date,omitempty" format:"date" doc:"add_foreign_family: the family member's filing date"`
		FamilyStatus    string      `json:"family_status,omitempty" enum:"granted,pending" doc:"add_foreign_family: granted (a granted foreign or regional patent: counts towards high value from family_granted_on) or pending (a PCT or foreign application: does not)"`
		FamilyGrantedOn string      `json:"family_granted_on,omitempty" format:"date" doc:"add_foreign_family: the family patent's grant date; required iff family_status is granted"`
		Award           awardCode   `json:"award,omitempty" doc:"award: the China Patent Award or a National Science and Technology Award"`
		Level           string      `json:"level,omitempty" maxLength:"50"`
		RegionCode      string      `json:"region_code,omitempty" maxLength:"6" doc:"set_region: the unit"`
		Note            string      `json:"note,omitempty" maxLength:"1000"`
	}
}

type assetOutput struct {
	Status int
	Body   AssetView
}

type assetsOutput struct{ Body Page[AssetView] }

type historyOutput struct {
	Body struct {
		Items []EntryView `json:"items"`
	}
}

// parseIDs reads a list of ids from the body; code names the rule (owner_unknown, asset_unknown).
func parseIDs(field, code string, raw []string) ([]uuid.UUID, error) {
	out := make([]uuid.UUID, 0, len(raw))
	for i, r := range raw {
		id, err := uuid.Parse(r)
		if err != nil {
			p := newProblem(http.StatusUnprocessableEntity, code, "not an id")
			p.Errors = []FieldError{{Location: fmt.Sprintf("%s[%d]", field, i), Message: "not an id", Value: r}}
			return nil, p
		}
		out = append(out, id)
	}
	return out, nil
}

func (s *Server) registerAssets() {
	register(s, huma.Operation{
		OperationID: "create-asset", Method: http.MethodPost, Path: "/v1/assets", Tags: []string{"assets"},
		Summary:       "Register an IP asset",
		Description:   "Any of the ten kinds. Numbers are checked per kind (patent check character, type digit against the kind) and stored in one canonical form; a kind+number already registered is 409 naming the asset (`ref`). Validity and expiry follow the term rules as of any date.",
		DefaultStatus: http.StatusCreated,
	}, registrars, func(ctx context.Context, in *createAssetInput) (*assetOutput, error) {
		owners, err := parseIDs("body.owner_ids", "owner_unknown", in.Body.OwnerIDs)
		if err != nil {
			return nil, err
		}
		filed, err := parseDate("body.filed_on", in.Body.FiledOn)
		if err != nil {
			return nil, err
		}
		granted, err := parseDate("body.granted_on", in.Body.GrantedOn)
		if err != nil {
			return nil, err
		}
		a, err := s.Registry.RegisterAsset(ctx, registry.AssetInput{
			Kind: ident.Kind(in.Body.Kind), Number: in.Body.Number, Title: in.Body.Title, OwnerIDs: owners,
			RegionCode: in.Body.RegionCode, FiledOn: filed, GrantedOn: granted,
			Attributes: registry.Attributes{IPC: in.Body.Attributes.IPC, Category: in.Body.Attributes.Category},
		})
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &assetOutput{Status: http.StatusCreated, Body: assetView(a)}, nil
	})
	register(s, huma.Operation{
		OperationID: "get-asset", Method: http.MethodGet, Path: "/v1/assets/{id}", Tags: []string{"assets"},
		Summary: "One asset, as of a date", Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, everyone, func(ctx context.Context, in *struct {
		ID   string `path:"id"`
		AsOf string `query:"as_of" format:"date" doc:"Answer for this date (default today, office time UTC+8)"`
	}) (*assetOutput, error) {
		id, err := parseID("path.id", in.ID, "asset")
		if err != nil {
			return nil, err
		}
		asOf, err := parseDate("query.as_of", in.AsOf)
		if err != nil {
			return nil, err
		}
		a, err := s.Registry.GetAsset(ctx, id, asOf)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &assetOutput{Status: http.StatusOK, Body: assetView(a)}, nil
	})
	register(s, huma.Operation{
		OperationID: "list-assets", Method: http.MethodGet, Path: "/v1/assets", Tags: []string{"assets"},
		Summary: "List assets, as of a date", Errors: []int{http.StatusUnprocessableEntity},
	}, everyone, func(ctx context.Context, in *struct {
		Kind      string `query:"kind" enum:"invention_patent,utility_model,design_patent,trademark,gi_certification_mark,gi_collective_mark,gi_product,software_copyright,work_copyright,plant_variety,"`
		Region    string `query:"region" maxLength:"6"`
		OwnerID   string `query:"owner_id" maxLength:"64"`
		Valid     string `query:"valid" enum:"true,false,"`
		HighValue string `query:"high_value" enum:"true,false,"`
		Q         string `query:"q" maxLength:"200" doc:"Substring of the title or number, or the number in any accepted spelling (ZL201910345678.6, CN201910345678.6, spaces, full-width digits)"`
		AsOf      string `query:"as_of" format:"date" doc:"Answer for this date (default today, office time UTC+8)"`
		Cursor    string `query:"cursor" maxLength:"100"`
		Limit     int    `query:"limit" minimum:"1" maximum:"1000" default:"100"`
	}) (*assetsOutput, error) {
		asOf, err := parseDate("query.as_of", in.AsOf)
		if err != nil {
			return nil, err
		}
		f := registry.AssetFilter{Kind: ident.Kind(in.Kind), Region: in.Region, Q: in.Q, AsOf: asOf, Cursor: in.Cursor, Limit: in.Limit,
			Valid: optBool(in.Valid), HighValue: optBool(in.HighValue)}
		if in.OwnerID != "" {
			id, err := uuid.Parse(in.OwnerID)
			if err != nil {
				p := newProblem(http.StatusUnprocessableEntity, "owner_unknown", "owner_id is not a party id")
				p.Errors = []FieldError{{Location: "query.owner_id", Message: "not a party id", Value: in.OwnerID}}
				return nil, p
			}
			f.OwnerID = id
		}
		as, next, err := s.Registry.ListAssets(ctx, f)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		out := &assetsOutput{}
		out.Body.Items = make([]AssetView, 0, len(as))
		for _, a := range as {
			out.Body.Items = append(out.Body.Items, assetView(a))
		}
		if next != "" {
			out.Body.NextCursor = &next
		}
		return out, nil
	})
	register(s, huma.Operation{
		OperationID: "record-asset-event", Method: http.MethodPost, Path: "/v1/assets/{id}/events", Tags: []string{"assets"},
		Summary: "Record a lifecycle event",
		Description: "grant, renew (trademarks, within 6 months after expiry at the latest), lapse (unpaid annuity), restore, invalidate, transfer (refused while pledged unless pledgee_consent), license (licensee_id and license_type required), freeze/unfreeze (court preservation), designate_strategic_industry, add_foreign_family, award, recognise_well_known, set_region. Impossible transitions are 422 problems naming the rule; a field the type does not take is 422 `field_not_allowed`. " +
			"The answer is the asset as of the event's effective_on, where the event shows (a renewal shows its new expires_on), or as of `as_of`.",
		Errors: []int{http.StatusNotFound},
	}, registrars, func(ctx context.Context, in *assetEventInput) (*assetOutput, error) {
		id, err := parseID("path.id", in.ID, "asset")
		if err != nil {
			return nil, err
		}
		b := in.Body
		eff, err := parseDate("body.effective_on", b.EffectiveOn)
		if err != nil {
			return nil, err
		}
		famDate, err := parseDate("body.family_date", b.FamilyDate)
		if err != nil {
			return nil, err
		}
		famGranted, err := parseDate("body.family_granted_on", b.FamilyGrantedOn)
		if err != nil {
			return nil, err
		}
		owners, err := parseIDs("body.owner_ids", "owner_unknown", b.OwnerIDs)
		if err != nil {
			return nil, err
		}
		ev := registry.EventInput{Type: b.Type, EffectiveOn: eff, OwnerIDs: owners, PledgeeConsent: b.PledgeeConsent,
			LicenseType: string(b.LicenseType), CaseNumber: b.CaseNumber, Industry: b.Industry, Country: b.Country,
			FamilyNumber: b.FamilyNumber, FamilyDate: famDate,
			FamilyStatus: b.FamilyStatus, FamilyGrantedOn: famGranted, Award: string(b.Award), Level: b.Level, RegionCode: b.RegionCode, Note: b.Note}
		if b.LicenseeID != "" {
			lid, err := uuid.Parse(b.LicenseeID)
			if err != nil {
				p := newProblem(http.StatusUnprocessableEntity, "licensee_unknown", "licensee_id is not a party id")
				p.Errors = []FieldError{{Location: "body.licensee_id", Message: "not a party id", Value: b.LicenseeID}}
				return nil, p
			}
			ev.LicenseeID = lid
		}
		asOf, err := parseDate("query.as_of", in.AsOf)
		if err != nil {
			return nil, err
		}
		a, err := s.Registry.AssetEventAt(ctx, id, ev, asOf)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		return &assetOutput{Status: http.StatusOK, Body: assetView(a)}, nil
	})
	register(s, huma.Operation{
		OperationID: "get-asset-history", Method: http.MethodGet, Path: "/v1/assets/{id}/history", Tags: []string{"assets"},
		Summary: "The asset's ledger entries, oldest first", Errors: []int{http.StatusNotFound},
	}, everyone, func(ctx context.Context, in *idPath) (*historyOutput, error) {
		id, err := parseID("path.id", in.ID, "asset")
		if err != nil {
			return nil, err
		}
		es, err := s.Registry.AssetHistory(ctx, id)
		if err != nil {
			return nil, s.problemFrom(ctx, err)
		}
		out := &historyOutput{}
		out.Body.Items = make([]EntryView, 0, len(es))
		for _, e := range es {
			out.Body.Items = append(out.Body.Items, entryView(e))
		}
		return out, nil
	})
}

func optBool(s string) *bool {
	switch s {
	case "true":
		b := true
		return &b
	case "false":
		b := false
		return &b
	}
	return nil
}

type importInput struct {
	Format  string `query:"format" enum:"csv,xlsx" required:"true" doc:"The file's format"`
	RawBody []byte `contentType:"text/csv" doc:"The file: CSV (UTF-8) or XLSX, one documented column layout (docs/IMPORT.md)"`
}

// ImportRowError says why one row was not imported.
type ImportRowError struct {
	Row     int    `json:"row" doc:"Row number in the file; the header is row 1"`
	Column  string `json:"column,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Ref     string `json:"ref,omitempty" doc:"The record the error is about: the existing asset for asset_exists, the existing party for party_exists, the other pledge for asset_pledged"`
}

type importOutput struct {
	Body struct {
		Rows      int              `json:"rows"`
		Added     int              `json:"added"`
		Unchanged int              `json:"unchanged" doc:"Already registered with the same data: skipped, so importing a file twice adds nothing"`
		Failed    int              `json:"failed"`
		Errors    []ImportRowError `json:"errors" nullable:"false"`
	}
}

func (s *Server) registerImport() {
	register(s, huma.Operation{
		OperationID: "import-assets", Method: http.MethodPost, Path: "/v1/assets/import", Tags: []string{"assets"},
		Summary:      "Bulk-import assets from CSV or XLSX",
		Description:  "Valid rows land, refused rows are reported with their row number and reason; a row already registered with the same data is counted unchanged, so re-sending a file adds nothing. Up to 64 MiB.",
		MaxBodyBytes: maxImportBody,
		Errors:       []int{http.StatusRequestEntityTooLarge},
	}, registrars, func(ctx context.Context, in *importInput) (*importOutput, error) {
		// The import is idempotent row by row and spans many ledger writes, so it does not
		// carry the request's idempotency key (one key marks one write).
		ctx, _ = ledger.WithIdempotency(ctx, "", nil)
		rep, err := importer.New(s.Registry).Import(ctx, bytes.NewReader(in.RawBody), in.Format, nil)
		return s.importAnswer(ctx, rep, err)
	})
}
