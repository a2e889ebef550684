package deploy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

func TestQueryPrometheusDecodesEachAnswer(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 500e6, time.UTC)
	for _, tc := range []struct {
		name, status, body string
		want               string // the value's String(), or the error's text
	}{
		{"a vector", "200 OK", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"api"},"value":[1796292000.5,"0.25"]}]}}`,
			`{job="api"} => 0.25 @[1796292000.5]`},
		{"a scalar", "200 OK", `{"status":"success","data":{"resultType":"scalar","result":[1796292000.5,"3"]}}`, "scalar: 3 @[1796292000.5]"},
		{"a range", "200 OK", `{"status":"success","data":{"resultType":"matrix","result":[]}}`, ""},
		{"Prometheus's error", "400 Bad Request", `{"status":"error","errorType":"bad_data","error":"parse error at char 4"}`, "bad_data: parse error at char 4"},
		{"not Prometheus", "502 Bad Gateway", `<html>bad gateway</html>`, "answered 502 Bad Gateway, not as Prometheus's HTTP API does"},
		{"an unknown type", "200 OK", `{"status":"success","data":{"resultType":"histogram","result":[]}}`, `an answer of unknown type "histogram"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := r.ParseForm(); err != nil || r.URL.Path != "/prom/api/v1/query" || r.Form.Get("query") != "up" || r.Form.Get("time") != "1796292000.5" {
					t.Errorf("asked %s %s %v", r.Method, r.URL.Path, r.Form)
				}
				code := 200
				if f := strings.Fields(tc.status); len(f) > 0 {
					code = map[string]int{"200": 200, "400": 400, "502": 502}[f[0]]
				}
				w.WriteHeader(code)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			v, err := queryPrometheus(context.Background(), srv.Client(), srv.URL+"/prom", "up", at)
			got := ""
			switch {
			case err != nil:
				got = err.Error()
			case v.Type() == model.ValMatrix:
				got = ""
			default:
				got = v.String()
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
