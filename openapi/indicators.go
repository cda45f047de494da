package openapi

// registerIndicators adds the indicators operations.
func (s *Server) registerIndicators() {}
