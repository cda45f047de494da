package openapi

// registerParties adds the parties operations.
func (s *Server) registerParties() {}
