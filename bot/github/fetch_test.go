package github

import (
	"testing"

	"github.com/shipgate/shipgate/policies"
)

func TestPermissionRole(t *testing.T) {
	perms := func(keys ...string) *struct {
		Permissions map[string]bool `json:"permissions"`
	} {
		m := map[string]bool{}
		for _, k := range keys {
			m[k] = true
		}
		return &struct {
			Permissions map[string]bool `json:"permissions"`
		}{m}
	}
	tests := []struct {
		name string
		pl   permissionLevel
		want policies.Permission
	}{
		{"maintain shows as write but role_name tells", permissionLevel{Permission: "write", RoleName: "maintain"}, policies.PermMaintain},
		{"triage shows as read but role_name tells", permissionLevel{Permission: "read", RoleName: "triage"}, policies.PermTriage},
		{"a custom role falls back to user.permissions", permissionLevel{Permission: "write", RoleName: "release-captain", User: perms("pull", "triage", "push", "maintain")}, policies.PermMaintain},
		{"without role_name the old level is the floor", permissionLevel{Permission: "admin"}, policies.PermAdmin},
		{"none is none", permissionLevel{Permission: "none", RoleName: "none"}, policies.PermNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.pl.role(); got != tt.want {
				t.Errorf("role() = %s, want %s", got, tt.want)
			}
		})
	}
}
