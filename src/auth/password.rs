//! Argon2id at OWASP's recommended parameters (19 MiB, 2 passes, 1 lane: the crate's
//! defaults). Hashing takes tens of milliseconds of CPU and 19 MiB of memory, so it runs on a
//! bounded pool: at most one hash per core at once, each in a memory buffer allocated once per
//! slot and reused (total argon2 memory = cores × 19 MiB, whatever the load), and a bounded
//! queue behind it. When the queue is full the caller gets `Busy` (429 with `Retry-After`)
//! rather than one more thread and 19 MiB: a login burst cannot exhaust memory.

use std::sync::{
    LazyLock, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use anyhow::{Context, anyhow};
use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::phc::{Output, ParamsString, PasswordHash, Salt},
};
use rand::RngCore;
use tokio::sync::Semaphore;

/// Hashes waiting for a slot, per core, before new ones are turned away. A 2-core server
/// holds 512 waiting logins (a few seconds of work), enough for a round opening at 64 in
/// flight per client address many times over.
const QUEUE_PER_SLOT: usize = 256;

/// The largest memory cost accepted from a stored hash (64 MiB): a corrupt or hostile hash
/// string cannot make one verification allocate gigabytes.
const MAX_M_COST: u32 = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every slot is busy and the queue is full: try again in a moment.
    #[error("password hashing is saturated")]
    Busy,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl From<HashError> for crate::error::ApiError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Busy => crate::error::ApiError::Busy {
                retry_after_secs: 1,
            },
            HashError::Failed(e) => crate::error::ApiError::Internal(e),
        }
    }
}

/// A fixed number of hashing slots, each with its argon2 memory, and a bounded queue.
pub struct HashPool {
    slots: Semaphore,
    /// Reusable argon2 memory, one buffer per slot once warmed up.
    buffers: Mutex<Vec<Vec<Block>>>,
    /// Running plus waiting jobs.
    admitted: AtomicUsize,
    capacity: usize,
    running: AtomicUsize,
    peak_running: AtomicUsize,
}

struct Admission(&'static AtomicUsize);

impl Drop for Admission {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl HashPool {
    /// A pool running at most `slots` hashes at once with `queue` more waiting.
    pub fn new(slots: usize, queue: usize) -> Self {
        let slots = slots.max(1);
        Self {
            slots: Semaphore::new(slots),
            buffers: Mutex::new(Vec::with_capacity(slots)),
            admitted: AtomicUsize::new(0),
            capacity: slots + queue,
            running: AtomicUsize::new(0),
            peak_running: AtomicUsize::new(0),
        }
    }

    /// The most hashes that ran at the same time so far.
    pub fn peak_running(&self) -> usize {
        self.peak_running.load(Ordering::Acquire)
    }

    /// Runs `job` with an argon2 memory buffer on the blocking pool once a slot is free.
    async fn run<T: Send + 'static>(
        &'static self,
        job: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        if self.admitted.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            self.admitted.fetch_sub(1, Ordering::AcqRel);
            return Err(HashError::Busy);
        }
        let admission = Admission(&self.admitted);
        let permit = self
            .slots
            .acquire()
            .await
            .map_err(|e| HashError::Failed(e.into()))?;
        // Everything a running hash holds (its slot, its buffer, its place in the queue) moves
        // into the blocking task and is given back there, so a caller that goes away (a client
        // that hangs up) frees nothing early: never more than `slots` hashes run.
        let job = move || {
            let _permit = permit;
            let _admission = admission;
            let mut buffer = self
                .buffers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop()
                .unwrap_or_default();
            let running = self.running.fetch_add(1, Ordering::AcqRel) + 1;
            self.peak_running.fetch_max(running, Ordering::AcqRel);
            let out = job(&mut buffer);
            self.running.fetch_sub(1, Ordering::AcqRel);
            self.buffers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(buffer);
            out
        };
        Ok(tokio::task::spawn_blocking(job)
            .await
            .context("password hashing task")?)
    }
}

static POOL: LazyLock<HashPool> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    HashPool::new(cores, cores * QUEUE_PER_SLOT)
});

/// The pool every password hash goes through.
pub fn pool() -> &'static HashPool {
    &POOL
}

/// Grows `buffer` to `blocks` blocks (never shrinks: the next hash reuses it).
fn memory(buffer: &mut Vec<Block>, blocks: usize) -> &mut [Block] {
    if buffer.len() < blocks {
        buffer.resize(blocks, Block::default());
    }
    &mut buffer[..blocks]
}

fn hash_with(buffer: &mut Vec<Block>, password: &[u8]) -> anyhow::Result<String> {
    let params = Params::default();
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let blocks = params.block_count();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password, &salt, &mut out, memory(buffer, blocks))
        .map_err(|e| anyhow!("argon2 hash: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| anyhow!("argon2 params: {e}"))?,
        salt: Some(Salt::new(&salt).map_err(|e| anyhow!("argon2 salt: {e}"))?),
        hash: Some(Output::new(&out).map_err(|e| anyhow!("argon2 output: {e}"))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `stored`; a corrupt hash is `false`.
fn verify_with(buffer: &mut Vec<Block>, password: &[u8], stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::new(parsed.algorithm.as_str()) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    if params.m_cost() > MAX_M_COST {
        return false;
    }
    let mut out = vec![0u8; expected.len()];
    let blocks = params.block_count();
    let computed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password,
        salt.as_ref(),
        &mut out,
        memory(buffer, blocks),
    );
    // `Output`'s equality is constant-time.
    computed.is_ok() && Output::new(&out).is_ok_and(|o| &o == expected)
}

/// A hash to compare against when the account does not exist, so an unknown login costs the
/// same time as a wrong password and response times do not reveal which logins exist.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_with(&mut Vec::new(), b"soiduong-no-such-account").unwrap_or_default());

/// Hashes a password into a PHC string. Fails with `Busy` when the pool is saturated.
pub async fn hash(password: String) -> Result<String, HashError> {
    pool()
        .run(move |buffer| hash_with(buffer, password.as_bytes()))
        .await?
        .map_err(HashError::Failed)
}

/// Checks `password` against `stored` (or against a dummy hash when there is no account).
/// Fails with `Busy` when the pool is saturated; a wrong password or a corrupt hash is `false`.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, HashError> {
    pool()
        .run(move |buffer| {
            let exists = stored.is_some();
            let stored = stored.unwrap_or_else(|| DUMMY_HASH.clone());
            verify_with(buffer, password.as_bytes(), &stored) && exists
        })
        .await
}

#[cfg(test)]
mod tests {
    use argon2::{PasswordHasher, PasswordVerifier};

    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ_per_call() {
        let a = hash("mật khẩu dài".into()).await.unwrap();
        let b = hash("mật khẩu dài".into()).await.unwrap();
        assert_ne!(a, b, "each hash has its own salt");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            verify("mật khẩu dài".into(), Some(a.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("sai mật khẩu".into(), Some(a)).await.unwrap());
        assert!(!verify("bất kỳ".into(), None).await.unwrap());
    }

    #[test]
    fn hashes_agree_with_the_argon2_crate_both_ways() {
        let ours = hash_with(&mut Vec::new(), b"mat-khau").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"mat-khau", &parsed)
                .is_ok()
        );
        let theirs = Argon2::default()
            .hash_password(b"mat-khau")
            .unwrap()
            .to_string();
        let mut buffer = Vec::new();
        assert!(verify_with(&mut buffer, b"mat-khau", &theirs));
        assert!(!verify_with(&mut buffer, b"mat-khav", &theirs));
        assert!(!verify_with(
            &mut buffer,
            b"mat-khau",
            "$argon2id$v=19$garbage"
        ));
    }

    #[test]
    fn dummy_hash_parses() {
        assert!(PasswordHash::new(&DUMMY_HASH).is_ok());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_pool_runs_at_most_its_slots_and_refuses_past_its_queue() {
        let pool: &'static HashPool = Box::leak(Box::new(HashPool::new(2, 3)));
        let jobs: Vec<_> = (0..8)
            .map(|_| {
                tokio::spawn(async move {
                    pool.run(move |buffer| {
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        memory(buffer, 8).len()
                    })
                    .await
                })
            })
            .collect();
        let mut done = 0;
        let mut busy = 0;
        for job in jobs {
            match job.await.unwrap() {
                Ok(8) => done += 1,
                Err(HashError::Busy) => busy += 1,
                other => panic!("{other:?}"),
            }
        }
        assert!(pool.peak_running() <= 2, "{}", pool.peak_running());
        assert!(done >= 5 && done + busy == 8, "done {done}, busy {busy}");
        assert!(busy >= 1, "past 2 running + 3 waiting, jobs are refused");
        assert!(
            pool.buffers.lock().unwrap().len() <= 2,
            "one buffer per slot"
        );
    }
}
