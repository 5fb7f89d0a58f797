//! Fault injection: latency, refused logons, communication failures before a posting, lock
//! errors, failed updates and replies lost after a commit.
//!
//! A rule fires either for the next N occasions it applies to (`times`) or on each occasion
//! with a probability. Probabilities are drawn from a splitmix64 generator seeded from
//! `--seed`, so a run with the same seed and the same sequence of calls injects the same
//! faults. Each kind applies at one point:
//!
//! | kind | applies to |
//! | --- | --- |
//! | `latency` | every function call, before it runs |
//! | `refuse_connections` | opening a session |
//! | `fail_before_posting` | POST and REV_POST: nothing is posted, the session is lost |
//! | `lock_error` | POST and REV_POST: answered with a lock message, nothing is posted |
//! | `update_failure` | a commit with pending work: the update fails, the work is discarded |
//! | `lose_reply_after_commit` | a commit with pending work: committed, but the reply is lost |

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Longest latency a rule may add to a call.
pub const MAX_LATENCY_MS: u64 = 60_000;

/// The splitmix64 generator: tiny, fast and fully determined by its seed.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform draw from [0, 1), with the 53 bits a double holds.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What a rule injects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Delays the call.
    Latency { millis: u64 },
    /// New sessions are refused, as a server that does not accept connections.
    RefuseConnections,
    /// The call fails with a communication failure before anything is posted.
    FailBeforePosting,
    /// The posting is answered with a transient lock error (TYPE E) and may be retried.
    LockError,
    /// The commit's update fails; the pending work is discarded.
    UpdateFailure,
    /// The commit succeeds but its reply is lost.
    LoseReplyAfterCommit,
}

/// Where in a conversation a fault applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultPoint {
    Logon,
    Call,
    Posting,
    Commit,
}

impl FaultKind {
    pub fn point(&self) -> FaultPoint {
        match self {
            FaultKind::Latency { .. } => FaultPoint::Call,
            FaultKind::RefuseConnections => FaultPoint::Logon,
            FaultKind::FailBeforePosting | FaultKind::LockError => FaultPoint::Posting,
            FaultKind::UpdateFailure | FaultKind::LoseReplyAfterCommit => FaultPoint::Commit,
        }
    }
}

/// One armed fault: its kind and when it fires. In JSON:
/// `{"kind": "lock_error", "times": 2}` or `{"kind": "latency", "millis": 50,
/// "probability": 0.1}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Fires on the next N occasions; counts down and disarms at zero.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// Fires on each occasion with this probability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
}

impl FaultRule {
    pub fn times(kind: FaultKind, times: u32) -> Self {
        Self {
            kind,
            times: Some(times),
            probability: None,
        }
    }

    pub fn probability(kind: FaultKind, probability: f64) -> Self {
        Self {
            kind,
            times: None,
            probability: Some(probability),
        }
    }

    fn validate(&self) -> Result<(), FaultRuleError> {
        match (self.times, self.probability) {
            (Some(_), Some(_)) => return Err(FaultRuleError::Both),
            (None, None) => return Err(FaultRuleError::Neither),
            (Some(0), None) => return Err(FaultRuleError::ZeroTimes),
            (None, Some(p)) if !(0.0..=1.0).contains(&p) => {
                return Err(FaultRuleError::Probability);
            }
            _ => {}
        }
        match self.kind {
            FaultKind::Latency { millis } if millis > MAX_LATENCY_MS => {
                Err(FaultRuleError::LatencyTooLong)
            }
            _ => Ok(()),
        }
    }
}

/// Why a fault rule was not armed.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FaultRuleError {
    #[error("give either `times` or `probability`, not both")]
    Both,
    #[error("give `times` (the next N occasions) or `probability` (0 to 1)")]
    Neither,
    #[error("`times` must be at least 1")]
    ZeroTimes,
    #[error("`probability` must be between 0 and 1")]
    Probability,
    #[error("latency is at most {MAX_LATENCY_MS} ms")]
    LatencyTooLong,
}

/// The armed rules and the generator their probabilities draw from.
#[derive(Clone, Debug)]
pub struct FaultInjector {
    seed: u64,
    rng: SplitMix64,
    rules: Vec<FaultRule>,
}

/// The armed rules as the inspection API shows them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FaultsView {
    pub seed: u64,
    pub rules: Vec<FaultRule>,
}

impl FaultInjector {
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            rng: SplitMix64::new(seed),
            rules: Vec::new(),
        }
    }

    pub fn arm(&mut self, rule: FaultRule) -> Result<(), FaultRuleError> {
        self.arm_all(vec![rule])
    }

    /// Arms every rule, or none when one of them is invalid.
    pub fn arm_all(&mut self, rules: Vec<FaultRule>) -> Result<(), FaultRuleError> {
        rules.iter().try_for_each(FaultRule::validate)?;
        self.rules.extend(rules);
        Ok(())
    }

    /// Disarms every rule; the generator goes on where it was.
    pub fn clear(&mut self) {
        self.rules.clear();
    }

    pub fn view(&self) -> FaultsView {
        FaultsView {
            seed: self.seed,
            rules: self.rules.clone(),
        }
    }

    /// Disarms every rule and restarts the generator from the seed.
    pub fn reset(&mut self) {
        self.rules.clear();
        self.rng = SplitMix64::new(self.seed);
    }

    /// Total latency the armed rules add to one call.
    pub fn latency(&mut self) -> Duration {
        let mut millis = 0;
        let mut index = 0;
        while index < self.rules.len() {
            let FaultKind::Latency { millis: delay } = self.rules[index].kind else {
                index += 1;
                continue;
            };
            if self.triggers(index) {
                millis += delay;
            }
            index += usize::from(self.keep_or_remove(index));
        }
        Duration::from_millis(millis)
    }

    /// The first armed fault for `point` that fires now, if any.
    pub fn fire(&mut self, point: FaultPoint) -> Option<FaultKind> {
        debug_assert_ne!(point, FaultPoint::Call, "latency is drawn with `latency`");
        let mut index = 0;
        while index < self.rules.len() {
            if self.rules[index].kind.point() != point {
                index += 1;
                continue;
            }
            if self.triggers(index) {
                let kind = self.rules[index].kind.clone();
                self.keep_or_remove(index);
                return Some(kind);
            }
            index += 1;
        }
        None
    }

    /// Decides whether rule `index` fires, counting down a `times` rule that does.
    fn triggers(&mut self, index: usize) -> bool {
        let rule = &mut self.rules[index];
        match (&mut rule.times, rule.probability) {
            (Some(left), _) if *left > 0 => {
                *left -= 1;
                true
            }
            (_, Some(probability)) => self.rng.next_f64() < probability,
            _ => false,
        }
    }

    /// Removes rule `index` when it is spent; true when it stays.
    fn keep_or_remove(&mut self, index: usize) -> bool {
        let spent = self.rules[index].times == Some(0);
        if spent {
            self.rules.remove(index);
        }
        !spent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_its_reference_sequence() {
        // First outputs of splitmix64 seeded with 0, as published with the algorithm.
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn a_counted_rule_fires_n_times_then_disarms() {
        let mut faults = FaultInjector::new(7);
        faults
            .arm(FaultRule::times(FaultKind::LockError, 2))
            .unwrap();

        assert_eq!(faults.fire(FaultPoint::Commit), None);
        assert_eq!(faults.fire(FaultPoint::Posting), Some(FaultKind::LockError));
        assert_eq!(faults.view().rules[0].times, Some(1));
        assert_eq!(faults.fire(FaultPoint::Posting), Some(FaultKind::LockError));
        assert_eq!(faults.fire(FaultPoint::Posting), None);
        assert!(faults.view().rules.is_empty());
    }

    #[test]
    fn probabilities_are_deterministic_per_seed() {
        let draws = |seed| {
            let mut faults = FaultInjector::new(seed);
            let rule = FaultRule::probability(FaultKind::UpdateFailure, 0.5);
            faults.arm(rule).unwrap();
            (0..64)
                .map(|_| faults.fire(FaultPoint::Commit).is_some())
                .collect::<Vec<_>>()
        };

        assert_eq!(draws(42), draws(42));
        assert_ne!(draws(42), draws(43));
        let hits = draws(42).iter().filter(|&&hit| hit).count();
        assert!((16..=48).contains(&hits), "{hits} of 64 at p = 0.5");
    }

    #[test]
    fn certain_and_impossible_probabilities_hold() {
        let mut faults = FaultInjector::new(1);
        faults
            .arm(FaultRule::probability(FaultKind::RefuseConnections, 0.0))
            .unwrap();
        assert!((0..100).all(|_| faults.fire(FaultPoint::Logon).is_none()));

        faults.reset();
        faults
            .arm(FaultRule::probability(FaultKind::RefuseConnections, 1.0))
            .unwrap();
        assert!((0..100).all(|_| faults.fire(FaultPoint::Logon).is_some()));
    }

    #[test]
    fn latencies_add_up_and_count_down() {
        let mut faults = FaultInjector::new(1);
        faults
            .arm(FaultRule::times(FaultKind::Latency { millis: 20 }, 1))
            .unwrap();
        faults
            .arm(FaultRule::probability(
                FaultKind::Latency { millis: 5 },
                1.0,
            ))
            .unwrap();

        assert_eq!(faults.latency(), Duration::from_millis(25));
        assert_eq!(faults.latency(), Duration::from_millis(5));
    }

    #[test]
    fn rules_are_validated_and_read_from_json() {
        let rule: FaultRule =
            serde_json::from_str(r#"{"kind":"latency","millis":50,"probability":0.25}"#).unwrap();
        assert_eq!(
            rule,
            FaultRule::probability(FaultKind::Latency { millis: 50 }, 0.25)
        );

        let mut faults = FaultInjector::new(0);
        let both = FaultRule {
            probability: Some(0.5),
            ..FaultRule::times(FaultKind::LockError, 1)
        };
        assert_eq!(faults.arm(both), Err(FaultRuleError::Both));
        let neither = FaultRule {
            times: None,
            ..FaultRule::times(FaultKind::LockError, 1)
        };
        assert_eq!(faults.arm(neither), Err(FaultRuleError::Neither));
        let odds = FaultRule::probability(FaultKind::LockError, 1.5);
        assert_eq!(faults.arm(odds), Err(FaultRuleError::Probability));
        let slow = FaultRule::times(FaultKind::Latency { millis: 60_001 }, 1);
        assert_eq!(faults.arm(slow), Err(FaultRuleError::LatencyTooLong));
        assert!(faults.view().rules.is_empty());
    }
}
