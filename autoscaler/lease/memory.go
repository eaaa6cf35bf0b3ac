package lease

import (
	"context"
	"sync"
)

// Call is one recorded Memory call.
type Call struct {
	Op   string // "get", "put" or "update"
	Key  string
	Item Item      // the item written (put, update)
	Cond Condition // the write's condition (put, update)
	Err  error     // what the call returned
}

// Memory is an in-memory Table for tests; safe for concurrent use.
type Memory struct {
	mu    sync.Mutex
	items map[string]Item
	calls []Call
	fail  map[string]memFault
	hook  func(op, key string)
}

type memFault struct {
	err   error
	apply bool
}

// NewMemory returns an empty Memory table.
func NewMemory() *Memory {
	return &Memory{items: map[string]Item{}, fail: map[string]memFault{}}
}

// Fail makes calls of op ("get", "put", "update"; "" for all) return err without effect, until Fail(op, nil).
func (m *Memory) Fail(op string, err error) { m.setFault(op, memFault{err: err}) }

// FailAfter makes writes of op apply and then return err (a lost response), until FailAfter(op, nil).
func (m *Memory) FailAfter(op string, err error) { m.setFault(op, memFault{err: err, apply: true}) }

func (m *Memory) setFault(op string, f memFault) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f.err == nil {
		delete(m.fail, op)
		return
	}
	m.fail[op] = f
}

// SetHook sets fn to run at the start of every call, outside the lock (to stage races).
func (m *Memory) SetHook(fn func(op, key string)) {
	m.mu.Lock()
	m.hook = fn
	m.mu.Unlock()
}

// Calls returns a copy of the calls made so far.
func (m *Memory) Calls() []Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Call(nil), m.calls...)
}

// Item returns the stored item for key.
func (m *Memory) Item(key string) (Item, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[key]
	return it, ok
}

// Set stores item unconditionally (e.g. to play another owner).
func (m *Memory) Set(item Item) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[item.Key] = item
}

// Delete removes key unconditionally (e.g. to play TTL cleanup).
func (m *Memory) Delete(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.items, key)
}

// Get implements Table.
func (m *Memory) Get(ctx context.Context, key string) (Item, bool, error) {
	m.runHook("get", key)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fault("get"); err != nil {
		m.calls = append(m.calls, Call{Op: "get", Key: key, Err: err})
		return Item{}, false, err
	}
	if err := ctx.Err(); err != nil {
		m.calls = append(m.calls, Call{Op: "get", Key: key, Err: err})
		return Item{}, false, err
	}
	it, ok := m.items[key]
	m.calls = append(m.calls, Call{Op: "get", Key: key})
	return it, ok, nil
}

// Put implements Table.
func (m *Memory) Put(ctx context.Context, item Item, cond Condition) error {
	return m.write(ctx, "put", item, cond)
}

// Update implements Table.
func (m *Memory) Update(ctx context.Context, item Item, cond Condition) error {
	return m.write(ctx, "update", item, cond)
}

func (m *Memory) write(ctx context.Context, op string, item Item, cond Condition) error {
	m.runHook(op, item.Key)
	m.mu.Lock()
	defer m.mu.Unlock()
	c := Call{Op: op, Key: item.Key, Item: item, Cond: cond}
	f, faulty := m.fail[op]
	if !faulty {
		f, faulty = m.fail[""]
	}
	err := ctx.Err()
	switch {
	case err != nil:
	case faulty && !f.apply:
		err = f.err
	default:
		cur, ok := m.items[item.Key]
		if !cond.holds(cur, ok) {
			err = ErrConflict
			break
		}
		m.items[item.Key] = item
		if faulty {
			err = f.err
		}
	}
	c.Err = err
	m.calls = append(m.calls, c)
	return err
}

// fault returns the error injected for op; m.mu held.
func (m *Memory) fault(op string) error {
	if f, ok := m.fail[op]; ok {
		return f.err
	}
	if f, ok := m.fail[""]; ok {
		return f.err
	}
	return nil
}

func (m *Memory) runHook(op, key string) {
	m.mu.Lock()
	fn := m.hook
	m.mu.Unlock()
	if fn != nil {
		fn(op, key)
	}
}
