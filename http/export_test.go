package http

// SetLoopCount makes s serve each netfd listener on n event loops: with
// one, every connection shares the loop, so a test can tell whether a
// handler that blocks or panics holds up the others.
func SetLoopCount(s *Server, n int) { s.loopCount = n }
