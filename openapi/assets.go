package openapi

// registerAssets adds the assets operations.
func (s *Server) registerAssets() {}
