//! When `bizsap run` syncs: a five-field cron expression in the machine's local time.
//!
//! `minute hour day-of-month month day-of-week`, each `*`, a number, a range `a-b`, a step
//! `*/n` or `a-b/n`, or a comma list of these. Day of week runs 0–7 with both 0 and 7 for
//! Sunday. As in cron, when both day fields are restricted a day matching either runs.

use jiff::civil::DateTime;
use jiff::{ToSpan, ZonedDateTime};

/// A parsed schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    days_restricted: bool,
    weekdays_restricted: bool,
}

impl Cron {
    pub fn parse(expression: &str) -> Result<Cron, String> {
        let fields: Vec<&str> = expression.split_whitespace().collect();
        let [minute, hour, day, month, weekday] = fields[..] else {
            return Err(format!(
                "\"{expression}\" is not a cron expression: five fields are needed \
                 (minute hour day month weekday), e.g. \"*/15 * * * *\""
            ));
        };
        let mut weekdays = field(weekday, 0, 7, "weekday")?;
        if weekdays & (1 << 7) != 0 {
            weekdays |= 1;
        }
        Ok(Cron {
            minutes: field(minute, 0, 59, "minute")?,
            hours: field(hour, 0, 23, "hour")?,
            days: field(day, 1, 31, "day of month")?,
            months: field(month, 1, 12, "month")?,
            weekdays,
            days_restricted: day != "*",
            weekdays_restricted: weekday != "*",
        })
    }

    /// The first minute strictly after `after` that the schedule matches, within four years.
    pub fn next_after(&self, after: DateTime) -> Option<DateTime> {
        let start = after.round(jiff::Unit::Minute).ok()?;
        let mut time = if start <= after {
            start.checked_add(1.minute()).ok()?
        } else {
            start
        };
        let limit = after.checked_add(4.years()).ok()?;
        while time < limit {
            if !self.day_matches(time) {
                let next_day = time.date().tomorrow().ok()?;
                time = next_day.to_datetime(jiff::civil::Time::midnight());
                continue;
            }
            if self.hours & (1 << time.hour()) == 0 {
                time = time
                    .checked_add(1.hour())
                    .ok()?
                    .with()
                    .minute(0)
                    .build()
                    .ok()?;
                continue;
            }
            if self.minutes & (1 << time.minute()) != 0 {
                return Some(time);
            }
            time = time.checked_add(1.minute()).ok()?;
        }
        None
    }

    /// The next run after `now`, in `now`'s time zone.
    pub fn next(&self, now: &ZonedDateTime) -> Option<ZonedDateTime> {
        let next = self.next_after(now.datetime())?;
        next.to_zoned_datetime(now.time_zone().clone()).ok()
    }

    fn day_matches(&self, time: DateTime) -> bool {
        if self.months & (1 << time.month()) == 0 {
            return false;
        }
        let day = self.days & (1 << time.day()) != 0;
        let weekday = self.weekdays & (1 << time.weekday().to_sunday_zero_offset()) != 0;
        match (self.days_restricted, self.weekdays_restricted) {
            (true, true) => day || weekday,
            _ => day && weekday,
        }
    }
}

/// One field as a bit set of the values it allows.
fn field(text: &str, min: u32, max: u32, name: &str) -> Result<u64, String> {
    let bad =
        || format!("cron {name} field \"{text}\" is not valid ({min}-{max}, *, */n, a-b, lists)");
    let mut bits = 0u64;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (range, step.parse::<u32>().map_err(|_| bad())?),
            None => (part, 1),
        };
        let (low, high) = match range {
            "*" => (min, max),
            _ => match range.split_once('-') {
                Some((a, b)) => (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?),
                None => {
                    let value = range.parse().map_err(|_| bad())?;
                    (value, if part.contains('/') { max } else { value })
                }
            },
        };
        if step == 0 || low < min || high > max || low > high {
            return Err(bad());
        }
        for value in (low..=high).step_by(step as usize) {
            bits |= 1 << value;
        }
    }
    Ok(bits)
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    fn next(expression: &str, after: DateTime) -> DateTime {
        Cron::parse(expression).unwrap().next_after(after).unwrap()
    }

    #[test]
    fn every_quarter_hour() {
        let at = date(2026, 12, 3).at(13, 7, 30, 0);
        assert_eq!(next("*/15 * * * *", at), date(2026, 12, 3).at(13, 15, 0, 0));
        assert_eq!(
            next("*/15 * * * *", date(2026, 12, 3).at(13, 15, 0, 0)),
            date(2026, 12, 3).at(13, 30, 0, 0)
        );
    }

    #[test]
    fn weekdays_at_six_skip_the_weekend() {
        // 2026-12-04 is a Friday.
        let friday_evening = date(2026, 12, 4).at(19, 0, 0, 0);
        assert_eq!(
            next("0 6 * * 1-5", friday_evening),
            date(2026, 12, 7).at(6, 0, 0, 0)
        );
    }

    #[test]
    fn month_end_and_sunday_as_seven() {
        assert_eq!(
            next("30 23 31 * *", date(2026, 11, 1).at(0, 0, 0, 0)),
            date(2026, 12, 31).at(23, 30, 0, 0)
        );
        assert_eq!(
            next("0 0 * * 7", date(2026, 12, 3).at(0, 0, 0, 0)),
            date(2026, 12, 6).at(0, 0, 0, 0)
        );
    }

    #[test]
    fn either_day_field_matches_when_both_are_restricted() {
        // The 1st of the month, or any Monday: after Thursday 3 December comes Monday the 7th.
        assert_eq!(
            next("0 0 1 * 1", date(2026, 12, 3).at(0, 0, 0, 0)),
            date(2026, 12, 7).at(0, 0, 0, 0)
        );
    }

    #[test]
    fn bad_expressions_say_what_is_wrong() {
        assert!(Cron::parse("* * * *").unwrap_err().contains("five fields"));
        assert!(Cron::parse("60 * * * *").unwrap_err().contains("minute"));
        assert!(Cron::parse("*/0 * * * *").is_err());
        assert!(Cron::parse("0 5-2 * * *").unwrap_err().contains("hour"));
        assert!(
            Cron::parse("0 0 30 2 *")
                .unwrap()
                .next_after(date(2026, 1, 1).at(0, 0, 0, 0))
                .is_none()
        );
    }
}
