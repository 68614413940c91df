//! The output cache: node outputs by structural key, with ComfyUI's eviction policies.
//!
//! Values are opaque (`V`): the bindings store Python objects here. Eviction never calls back
//! into the host; sizes arrive as numbers when a value is stored.

use crate::keys::Key;
use rustc_hash::{FxHashMap, FxHashSet};
use std::time::{Duration, Instant};

/// How the cache keeps results between prompts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Policy {
    /// Keep only the results of the current prompt's nodes (ComfyUI's default).
    Classic,
    /// Keep up to `n` entries, evicting the least recently used prompts' results first.
    Lru(usize),
    /// Keep everything until available RAM drops below `headroom` bytes, then evict by age and size.
    RamPressure { headroom: u64 },
    /// Keep nothing: every node runs every time.
    None,
}

struct Entry<V> {
    value: V,
    size: u64,
    generation: u64,
    /// Key of the original node this entry belongs to (itself, or the expanding ancestor).
    owner: Key,
}

pub struct Cache<V> {
    policy: Policy,
    map: FxHashMap<Key, Entry<V>>,
    generation: u64,
    last_poll: Option<Instant>,
    poll_interval: Duration,
    available: fn() -> Option<u64>,
}

impl<V: Clone> Cache<V> {
    pub fn new(policy: Policy) -> Cache<V> {
        Cache {
            policy,
            map: FxHashMap::default(),
            generation: 0,
            last_poll: None,
            poll_interval: Duration::from_millis(50),
            available: available_memory,
        }
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn contains(&self, key: Key) -> bool {
        self.map.contains_key(&key)
    }

    /// The value under `key`, marking it used by the current prompt.
    pub fn get(&mut self, key: Key) -> Option<V> {
        let generation = self.generation;
        self.map.get_mut(&key).map(|e| {
            e.generation = generation;
            e.value.clone()
        })
    }

    pub fn insert(&mut self, key: Key, value: V, size: u64, owner: Key) {
        if self.policy == Policy::None {
            return;
        }
        self.map.insert(key, Entry { value, size, generation: self.generation, owner });
    }

    /// Starts a prompt whose nodes have the keys `live`.
    pub fn begin_prompt(&mut self, live: &FxHashSet<Key>) {
        self.generation += 1;
        let generation = self.generation;
        match self.policy {
            Policy::Classic => self.map.retain(|k, e| live.contains(k) || live.contains(&e.owner)),
            Policy::None => self.map.clear(),
            Policy::Lru(max) => {
                for k in live {
                    if let Some(e) = self.map.get_mut(k) {
                        e.generation = generation;
                    }
                }
                self.evict_lru(max);
            }
            Policy::RamPressure { .. } => {
                for k in live {
                    if let Some(e) = self.map.get_mut(k) {
                        e.generation = generation;
                    }
                }
            }
        }
    }

    /// Ends a prompt: the LRU policy trims to its size.
    pub fn end_prompt(&mut self) {
        if let Policy::Lru(max) = self.policy {
            self.evict_lru(max);
        }
    }

    fn evict_lru(&mut self, max: usize) {
        while self.map.len() > max {
            let Some(oldest) = self.map.values().map(|e| e.generation).min() else { return };
            if oldest >= self.generation {
                return; // never evict what the running prompt uses
            }
            let removed: FxHashSet<Key> =
                self.map.iter().filter(|(_, e)| e.generation == oldest).map(|(k, _)| *k).collect();
            // Expanded children go with the node that owns them.
            self.map.retain(|k, e| !removed.contains(k) && !removed.contains(&e.owner));
        }
    }

    /// Called after each node: under RAM pressure, evicts old and large entries until available
    /// memory is back above 1.1 × headroom. Checks memory at most every 50 ms.
    pub fn poll(&mut self) {
        let Policy::RamPressure { headroom } = self.policy else { return };
        let now = Instant::now();
        if self.last_poll.is_some_and(|t| now.duration_since(t) < self.poll_interval) {
            return;
        }
        self.last_poll = Some(now);
        let Some(mut avail) = (self.available)() else { return };
        if avail >= headroom {
            return;
        }
        let target = headroom + headroom / 10;
        let mut scored: Vec<(f64, Key)> = self
            .map
            .iter()
            .map(|(k, e)| {
                let age = (self.generation - e.generation) as f64;
                let gib = e.size as f64 / (1u64 << 30) as f64;
                (1.3f64.powf(age) * (0.1 + gib), *k)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (k, (_, key)) in scored.into_iter().enumerate() {
            if let Some(e) = self.map.remove(&key) {
                avail += e.size;
            }
            if (k + 1) % 16 == 0 {
                avail = (self.available)().unwrap_or(avail);
            }
            if avail > target {
                break;
            }
        }
    }

    pub fn clear(&mut self) {
        self.map.clear();
    }

    #[cfg(test)]
    fn set_available(&mut self, f: fn() -> Option<u64>) {
        self.available = f;
        self.poll_interval = Duration::ZERO;
    }
}

/// `MemAvailable` from /proc/meminfo, in bytes (None where it cannot be read).
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(keys: &[Key]) -> FxHashSet<Key> {
        keys.iter().copied().collect()
    }

    #[test]
    fn classic_keeps_only_the_current_prompt() {
        let mut c = Cache::new(Policy::Classic);
        c.begin_prompt(&live(&[1, 2]));
        c.insert(1, "a", 0, 1);
        c.insert(2, "b", 0, 2);
        c.insert(20, "child of 2", 0, 2);
        c.begin_prompt(&live(&[2, 3]));
        assert!(!c.contains(1));
        assert!(c.contains(2) && c.contains(20));
    }

    #[test]
    fn lru_evicts_oldest_prompts_first() {
        let mut c = Cache::new(Policy::Lru(2));
        for k in 1..=3u128 {
            c.begin_prompt(&live(&[k]));
            c.insert(k, k, 0, k);
            c.end_prompt();
        }
        assert_eq!(c.len(), 2);
        assert!(!c.contains(1) && c.contains(2) && c.contains(3));
        // Using 2 again makes 3 the oldest.
        c.begin_prompt(&live(&[2, 4]));
        c.insert(4, 4, 0, 4);
        c.end_prompt();
        assert!(c.contains(2) && c.contains(4) && !c.contains(3));
    }

    #[test]
    fn lru_zero_keeps_only_the_running_prompt() {
        let mut c = Cache::new(Policy::Lru(0));
        c.begin_prompt(&live(&[1]));
        c.insert(1, 1, 0, 1);
        assert!(c.contains(1), "entries of the running prompt survive while it runs");
        c.begin_prompt(&live(&[1]));
        assert!(c.contains(1), "the next prompt uses it again");
        c.begin_prompt(&live(&[2]));
        assert!(!c.contains(1));
    }

    #[test]
    fn none_keeps_nothing() {
        let mut c = Cache::new(Policy::None);
        c.begin_prompt(&live(&[1]));
        c.insert(1, 1, 0, 1);
        assert!(c.is_empty());
    }

    #[test]
    fn ram_pressure_evicts_large_and_old_entries() {
        let mut c = Cache::new(Policy::RamPressure { headroom: 100 });
        c.set_available(|| Some(10));
        c.begin_prompt(&live(&[1, 2]));
        c.insert(1, 1, 1 << 30, 1);
        c.insert(2, 2, 0, 2);
        c.poll();
        assert!(!c.contains(1), "the large entry goes first");
        assert!(c.contains(2), "evicting it frees enough (by the sizes reported) to stop");
        let mut c = Cache::new(Policy::RamPressure { headroom: 100 });
        c.set_available(|| Some(1000));
        c.insert(1, 1, 1, 1);
        c.poll();
        assert_eq!(c.len(), 1, "no pressure, no eviction");
    }
}
