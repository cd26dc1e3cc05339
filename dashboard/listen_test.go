package dashboard

import (
	"net"
	"net/http/httptest"
)

func listen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

func testRequest(srv *Server, method, path, auth string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	return rec
}
