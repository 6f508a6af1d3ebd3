package models

import (
	"context"
	"slices"
	"sync"
)

// batchCacheKey marks a context that memoises configuration reads.
type batchCacheKey struct{}

// batchCache holds configuration tables read once per intake batch.
type batchCache struct {
	mu sync.Mutex
	m  map[string]any
}

// WithBatchCache returns a context under which the configuration tables that
// intake reads for every mail — vendors, routing rules, webhook endpoints —
// are read once. Use it only for one write transaction that does not change
// them: inside such a transaction a second read would return the same rows.
func WithBatchCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, batchCacheKey{}, &batchCache{m: map[string]any{}})
}

// cachedList returns load's rows, memoised under key when ctx carries a batch
// cache. Callers get their own copy of the slice.
func cachedList[T any](ctx context.Context, key string, load func() ([]T, error)) ([]T, error) {
	c, ok := ctx.Value(batchCacheKey{}).(*batchCache)
	if !ok {
		return load()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[key]; ok {
		return slices.Clone(v.([]T)), nil
	}
	rows, err := load()
	if err != nil {
		return nil, err
	}
	c.m[key] = rows
	return slices.Clone(rows), nil
}
