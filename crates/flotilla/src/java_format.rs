//! Java's formatting where Kafka's tools print with it, so output matches Kafka's: `%.Nf`
//! ([`java_fixed`]) and `SimpleDateFormat` patterns ([`simple_date_format`]).

use chrono::{DateTime, Datelike, TimeZone, Timelike};

/// Java's `%.Nf`: the shortest decimal form of the double rounded half-up to `decimals` places, and
/// `Infinity` / `NaN` as Java spells them.
pub fn java_fixed(value: f64, decimals: usize) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let shortest = format!("{}", value.abs());
    let (int_part, frac_part) = shortest.split_once('.').unwrap_or((shortest.as_str(), ""));
    let mut digits: Vec<u8> =
        int_part.bytes().chain(frac_part.bytes().chain(std::iter::repeat(b'0')).take(decimals)).collect();
    if frac_part.as_bytes().get(decimals).is_some_and(|d| *d >= b'5') {
        // Half-up: carry from the last kept digit.
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, b'1');
                break;
            }
            i -= 1;
            match digits.get_mut(i) {
                Some(d) if *d == b'9' => *d = b'0',
                Some(d) => {
                    *d += 1;
                    break;
                }
                None => break,
            }
        }
    }
    let split = digits.len() - decimals;
    let (int_digits, frac_digits) = digits.split_at(split);
    let mut out = String::new();
    if value.is_sign_negative() {
        out.push('-');
    }
    out.push_str(&String::from_utf8_lossy(int_digits));
    if decimals > 0 {
        out.push('.');
        out.push_str(&String::from_utf8_lossy(frac_digits));
    }
    out
}

/// Formats `time` with a `java.text.SimpleDateFormat` pattern. Supported letters: `y`, `M` (numbers;
/// `MMM` and longer give month names), `d`, `H`, `h`, `k`, `K`, `m`, `s`, `S`, `E`, `a`, `Z`, `X`; text in
/// single quotes is literal (`''` is a quote); other letters are printed as they are.
pub fn simple_date_format<Tz: TimeZone>(pattern: &str, time: &DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let pad = |value: i64, width: usize| format!("{value:0width$}");
    while let Some(&c) = chars.get(i) {
        if c == '\'' {
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            i += 1;
            while let Some(&q) = chars.get(i) {
                i += 1;
                if q == '\'' {
                    if chars.get(i) == Some(&'\'') {
                        out.push('\'');
                        i += 1;
                        continue;
                    }
                    break;
                }
                out.push(q);
            }
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let mut n = 1;
        while chars.get(i + n) == Some(&c) {
            n += 1;
        }
        i += n;
        let hour = i64::from(time.hour());
        match c {
            'y' => {
                let year = i64::from(time.year());
                out.push_str(&if n == 2 { pad(year.rem_euclid(100), 2) } else { pad(year, n) });
            }
            'M' if n >= 3 => {
                let name = MONTHS.get(time.month0() as usize).copied().unwrap_or_default();
                out.push_str(if n == 3 { name.get(..3).unwrap_or(name) } else { name });
            }
            'M' => out.push_str(&pad(i64::from(time.month()), n)),
            'd' => out.push_str(&pad(i64::from(time.day()), n)),
            'H' => out.push_str(&pad(hour, n)),
            'k' => out.push_str(&pad(if hour == 0 { 24 } else { hour }, n)),
            'K' => out.push_str(&pad(hour % 12, n)),
            'h' => out.push_str(&pad(if hour % 12 == 0 { 12 } else { hour % 12 }, n)),
            'm' => out.push_str(&pad(i64::from(time.minute()), n)),
            's' => out.push_str(&pad(i64::from(time.second()), n)),
            'S' => out.push_str(&pad(i64::from(time.timestamp_subsec_millis().min(999)), n)),
            'E' => {
                let name = DAYS.get(time.weekday().num_days_from_monday() as usize).copied().unwrap_or_default();
                out.push_str(if n <= 3 { name.get(..3).unwrap_or(name) } else { name });
            }
            'a' => out.push_str(if hour < 12 { "AM" } else { "PM" }),
            'Z' | 'X' => out.push_str(&time.offset().to_string().replace(':', "")),
            other => {
                for _ in 0..n {
                    out.push(other);
                }
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::{FixedOffset, TimeZone};

    use super::*;

    #[test]
    fn numbers_print_like_java() {
        assert_eq!(java_fixed(1.0 / 0.0, 1), "Infinity");
        assert_eq!(java_fixed(f64::NAN, 2), "NaN");
        assert_eq!(java_fixed(2.25, 1), "2.3");
        assert_eq!(java_fixed(2.675, 2), "2.68");
        assert_eq!(java_fixed(9.96, 1), "10.0");
        assert_eq!(java_fixed(0.0, 2), "0.00");
        assert_eq!(java_fixed(1234.5678, 6), "1234.567800");
        assert_eq!(java_fixed(1234.5678, 0), "1235");
    }

    #[test]
    fn kafkas_default_date_format() {
        let tz = FixedOffset::east_opt(9 * 3600).unwrap();
        let t = tz.with_ymd_and_hms(2024, 3, 5, 7, 8, 9).unwrap() + chrono::Duration::milliseconds(42);
        assert_eq!(simple_date_format("yyyy-MM-dd HH:mm:ss:SSS", &t), "2024-03-05 07:08:09:042");
        assert_eq!(simple_date_format("yy/MMM/d h a 'at' EEE ''", &t), "24/Mar/5 7 AM at Tue '");
        assert_eq!(simple_date_format("Z", &t), "+0900");
    }
}
