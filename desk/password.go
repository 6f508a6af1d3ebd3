package desk

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"

	"warrantydesk/models"
)

// ErrBadLogin is returned for a wrong email or password (deliberately the same error for both).
var ErrBadLogin = errors.New("wrong email or password")

// argon2id parameters (OWASP 2023 minimum: m=19 MiB, t=2, p=1).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an encoded argon2id hash of password.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches an encoded argon2id hash.
func CheckPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked when the email is unknown, so that a wrong email takes
// as long as a wrong password.
var dummyHash, _ = HashPassword("not a real password")

// Login checks an agent's email and password (see LoginFrom, which also
// throttles by client address).
func (s *Service) Login(ctx context.Context, email, password string) (*models.Agent, error) {
	return s.LoginFrom(ctx, email, password, "")
}

func (s *Service) checkLogin(ctx context.Context, email, password string) (*models.Agent, error) {
	a, err := s.store.AgentByEmail(ctx, email)
	if errors.Is(err, models.ErrNotFound) {
		CheckPassword(dummyHash, password)
		return nil, ErrBadLogin
	}
	if err != nil {
		return nil, err
	}
	if !CheckPassword(a.PasswordHash, password) {
		return nil, ErrBadLogin
	}
	return a, nil
}

// MinPasswordLength is the shortest password accepted for an agent.
const MinPasswordLength = 10

// CreateAgent adds an agent with a hashed password.
func (s *Service) CreateAgent(ctx context.Context, email, name, role, password string) (*models.Agent, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	fields := map[string]string{}
	if !strings.Contains(email, "@") {
		fields["email"] = "error.bad_email"
	}
	if strings.TrimSpace(name) == "" {
		fields["name"] = "error.name_required"
	}
	if role != models.RoleAdmin && role != models.RoleAgent {
		fields["role"] = "error.bad_role"
	}
	if len(password) < MinPasswordLength {
		fields["password"] = "error.password_short"
	}
	if len(fields) > 0 {
		return nil, &ValidationError{Fields: fields}
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	a := &models.Agent{Email: email, Name: strings.TrimSpace(name), Role: role, PasswordHash: hash}
	if err := s.store.CreateAgent(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}
