package openapi

import (
	"context"

	"github.com/google/uuid"
)

// CreditListingView is a party's listing on a credit list (失信), over [listed_on, removed_on).
type CreditListingView struct {
	List       string  `json:"list" example:"严重违法失信名单"`
	ListedOn   string  `json:"listed_on" format:"date"`
	SourceRef  string  `json:"source_ref" doc:"The decision or notice the listing rests on"`
	RemovedOn  *string `json:"removed_on" format:"date" doc:"Removed from the list on; null while listed"`
	RemovedRef *string `json:"removed_ref" doc:"The decision or notice the removal rests on"`
}

// fillCredit sets the credit listings of the party views vs, in one read.
func (s *Server) fillCredit(ctx context.Context, vs ...*PartyView) error {
	ids := make([]uuid.UUID, 0, len(vs))
	for _, v := range vs {
		id, err := uuid.Parse(v.ID)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	ls, err := s.Registry.CreditListings(ctx, ids, true)
	if err != nil {
		return err
	}
	for i, v := range vs {
		v.CreditListings = []CreditListingView{}
		for _, c := range ls[ids[i]] {
			cv := CreditListingView{List: c.List, ListedOn: c.ListedOn.String(), SourceRef: c.SourceRef, RemovedOn: dateStr(c.RemovedOn)}
			if c.RemovedRef != "" {
				r := c.RemovedRef
				cv.RemovedRef = &r
			}
			v.CreditListed = v.CreditListed || c.RemovedOn.IsZero()
			v.CreditListings = append(v.CreditListings, cv)
		}
	}
	return nil
}
