package openapi

// registerPledges adds the pledges operations.
func (s *Server) registerPledges() {}
