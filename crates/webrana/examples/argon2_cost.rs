//! The CPU cost of one argon2id hash and one verification, with auth's production code and
//! parameters (`auth::domain::password`), measured on one thread and nothing else.
//! Run by `bench/auth.sh`; alone: `cargo run --release -p webrana --example argon2_cost -- 20`.

use std::time::Duration;

use auth::domain::password;

/// CPU time consumed by the calling thread: unlike wall time, it does not grow when another
/// process takes the core, so the figure stays honest on a shared 2-core machine.
fn thread_cpu_time() -> anyhow::Result<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, exclusively borrowed timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    anyhow::ensure!(
        rc == 0,
        "clock_gettime failed: {}",
        std::io::Error::last_os_error()
    );
    let secs = u64::try_from(ts.tv_sec)?;
    let nanos = u32::try_from(ts.tv_nsec)?;
    Ok(Duration::new(secs, nanos))
}

fn timed<T>(f: impl FnOnce() -> T) -> anyhow::Result<(T, f64)> {
    let start = thread_cpu_time()?;
    let value = f();
    let spent = thread_cpu_time()? - start;
    Ok((value, spent.as_secs_f64() * 1000.0))
}

fn summary(samples: &mut [f64]) -> String {
    samples.sort_by(f64::total_cmp);
    let median = samples[samples.len() / 2];
    let min = samples[0];
    let max = samples[samples.len() - 1];
    format!("median {median:6.1} ms   min {min:6.1} ms   max {max:6.1} ms")
}

fn main() -> anyhow::Result<()> {
    let rounds: usize = match std::env::args().nth(1) {
        Some(raw) => raw
            .parse()
            .map_err(|_| anyhow::anyhow!("ROUNDS must be a positive number, got {raw:?}"))?,
        None => 20,
    };
    anyhow::ensure!(rounds > 0, "ROUNDS must be a positive number");

    let stored = password::hash("Customer123!")?;
    // The parameters come from the PHC string the service itself produced, not from this file.
    let params = stored.split('$').nth(3).unwrap_or("?");
    let mut hashes = Vec::with_capacity(rounds);
    let mut verifications = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let (hashed, ms) = timed(|| password::hash("Customer123!"))?;
        std::hint::black_box(hashed?);
        hashes.push(ms);
        let (matched, ms) = timed(|| password::verify("Customer123!", &stored))?;
        anyhow::ensure!(matched, "verification of the just-hashed password failed");
        verifications.push(ms);
    }
    println!("argon2id ({params}), {rounds} rounds, CPU time of one thread:");
    println!("  hash   (register, reset) {}", summary(&mut hashes));
    println!("  verify (login)           {}", summary(&mut verifications));
    Ok(())
}
