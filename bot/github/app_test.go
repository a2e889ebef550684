package github

import (
	"strings"
	"testing"
)

func TestNewChecksTheConfiguration(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr []string
	}{
		{"credentials are required", Config{}, []string{"a token or an App ID"}},
		{"both credentials are refused", Config{Token: "t", AppID: 1, PrivateKey: "k"}, []string{"not both"}},
		{"an App needs its key", Config{AppID: 1}, []string{"private key is required"}},
		{"a bad key is named", Config{AppID: 1, PrivateKey: "not a key"}, []string{"GitHub App private key"}},
		{"a relative API URL is refused", Config{Token: "t", APIURL: "api.example.com"}, []string{"not an absolute URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
		})
	}
}

func TestEnterpriseURLs(t *testing.T) {
	a, err := New(Config{Token: "t", APIURL: "https://ghe.example.com/api/v3"})
	if err != nil {
		t.Fatal(err)
	}
	if a.apiURL.String() != "https://ghe.example.com/api/v3/" || a.upload.String() != "https://ghe.example.com/api/uploads/" {
		t.Errorf("API %s, uploads %s", a.apiURL, a.upload)
	}
	a, _ = New(Config{Token: "t"})
	if a.apiURL.String() != DefaultAPIURL || a.upload.String() != "https://uploads.github.com/" {
		t.Errorf("API %s, uploads %s", a.apiURL, a.upload)
	}
}
