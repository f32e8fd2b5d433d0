//! The digest's languages: `en`, `fr`, `it` — words, numbers and dates.
//!
//! Numbers follow each language's conventions (en `1,234.5` and `85%`; fr
//! `1 234,5` and `85 %` with narrow no-break spaces; it `1.234,5` and
//! `85%`), as do dates (`16–22 November 2026`, `16–22 novembre 2026`).

use chrono::{Datelike, NaiveDate};

pub use crate::config::Locale;

const NNBSP: char = '\u{202f}';

impl Locale {
    /// Picks the phrase for this locale from `(en, fr, it)`.
    pub fn pick<T>(self, en: T, fr: T, it: T) -> T {
        match self {
            Locale::En => en,
            Locale::Fr => fr,
            Locale::It => it,
        }
    }

    /// `value` with `decimals` digits, grouped by thousands.
    pub fn number(self, value: f64, decimals: usize) -> String {
        let (group, point) = self.pick((',', '.'), (NNBSP, ','), ('.', ','));
        let text = format!("{:.*}", decimals, value.abs());
        let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
        let mut out = String::new();
        for (i, ch) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push(group);
            }
            out.push(ch);
        }
        if !frac.is_empty() {
            out.push(point);
            out.push_str(frac);
        }
        let negative = value < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0');
        if negative { format!("−{out}") } else { out }
    }

    /// `one` or `other` by the locale's plural rule for `n`: French keeps
    /// 0 and 1 singular ("0 ticket ouvert"), English and Italian only 1.
    pub fn plural<'s>(self, n: u64, one: &'s str, other: &'s str) -> &'s str {
        let singular = match self {
            Locale::Fr => n <= 1,
            Locale::En | Locale::It => n == 1,
        };
        if singular { one } else { other }
    }

    /// A whole count.
    pub fn count(self, n: u64) -> String {
        self.number(n as f64, 0)
    }

    /// A ratio 0–1 as a percentage.
    pub fn percent(self, ratio: f64) -> String {
        self.percent_with(ratio, Self::percent_digits(ratio))
    }

    /// One decimal under 10%, none above.
    fn percent_digits(ratio: f64) -> usize {
        usize::from((ratio * 100.0).abs() < 10.0 && ratio != 0.0)
    }

    fn percent_with(self, ratio: f64, digits: usize) -> String {
        let n = self.number(ratio * 100.0, digits);
        self.pick(format!("{n}%"), format!("{n}{NNBSP}%"), format!("{n}%"))
    }

    /// `ratio` as `percent` does, with up to two more decimals where it
    /// would otherwise read as `reference` without being it: an attainment
    /// of 89.7% against an objective of 90% is not shown as "90% — below
    /// objective".
    pub fn percent_against(self, ratio: f64, reference: f64) -> String {
        let base = Self::percent_digits(ratio);
        let mut digits = base;
        while ratio != reference
            && digits < base + 2
            && self.percent_with(ratio, digits) == self.percent_with(reference, digits)
        {
            digits += 1;
        }
        self.percent_with(ratio, digits)
    }

    /// A length of time, to the two largest units (`2h 15m`, `3 j 4 h`).
    pub fn duration(self, seconds: f64) -> String {
        let s = seconds.max(0.0).round() as u64;
        let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
        let (du, hu, mu) = self.pick(("d", "h", "m"), ("j", "h", "min"), ("g", "h", "min"));
        // A number and its unit never part at a line break.
        let sep = self.pick("", "\u{a0}", "\u{a0}");
        let part = |v: u64, u: &str| format!("{v}{sep}{u}");
        match (d, h, m) {
            (0, 0, 0) if s > 0 => {
                self.pick("<1m".into(), "<1\u{a0}min".into(), "<1\u{a0}min".into())
            }
            (0, 0, m) => part(m, mu),
            (0, h, 0) => part(h, hu),
            (0, h, m) => format!("{} {}", part(h, hu), part(m, mu)),
            (d, 0, _) => part(d, du),
            (d, h, _) => format!("{} {}", part(d, du), part(h, hu)),
        }
    }

    pub fn month(self, m: u32) -> &'static str {
        const EN: [&str; 12] = [
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
        const FR: [&str; 12] = [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ];
        const IT: [&str; 12] = [
            "gennaio",
            "febbraio",
            "marzo",
            "aprile",
            "maggio",
            "giugno",
            "luglio",
            "agosto",
            "settembre",
            "ottobre",
            "novembre",
            "dicembre",
        ];
        let i = (m.clamp(1, 12) - 1) as usize;
        self.pick(EN[i], FR[i], IT[i])
    }

    /// Monday = 0.
    pub fn weekday(self, d: u32) -> &'static str {
        const EN: [&str; 7] = [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ];
        const FR: [&str; 7] = [
            "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
        ];
        const IT: [&str; 7] = [
            "lunedì",
            "martedì",
            "mercoledì",
            "giovedì",
            "venerdì",
            "sabato",
            "domenica",
        ];
        let i = (d % 7) as usize;
        self.pick(EN[i], FR[i], IT[i])
    }

    /// `16–22 November 2026`, `30 November – 6 December 2026`,
    /// `29 December 2025 – 4 January 2026`.
    pub fn date_range(self, a: NaiveDate, b: NaiveDate) -> String {
        let day = |d: NaiveDate| match (self, d.day()) {
            (Locale::Fr, 1) => "1er".to_string(),
            (_, n) => n.to_string(),
        };
        if a.year() != b.year() {
            format!(
                "{} {} {} – {} {} {}",
                day(a),
                self.month(a.month()),
                a.year(),
                day(b),
                self.month(b.month()),
                b.year()
            )
        } else if a.month() != b.month() {
            format!(
                "{} {} – {} {} {}",
                day(a),
                self.month(a.month()),
                day(b),
                self.month(b.month()),
                b.year()
            )
        } else {
            format!(
                "{}–{} {} {}",
                day(a),
                day(b),
                self.month(b.month()),
                b.year()
            )
        }
    }

    /// Capitalises the first letter (French and Italian weekdays are lower case).
    pub fn capitalise(s: &str) -> String {
        let mut c = s.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_percentage_compared_with_an_objective_never_reads_as_it() {
        let en = Locale::En;
        assert_eq!(en.percent_against(0.897, 0.9), "89.7%");
        assert_eq!(en.percent_against(0.8999, 0.9), "89.99%");
        assert_eq!(en.percent_against(0.9, 0.9), "90%");
        assert_eq!(en.percent_against(0.85, 0.9), "85%");
        assert_eq!(Locale::Fr.percent_against(0.897, 0.9), "89,7\u{202f}%");
    }

    #[test]
    fn numbers_follow_each_locale() {
        assert_eq!(Locale::En.number(1234.5, 1), "1,234.5");
        assert_eq!(Locale::Fr.number(1234.5, 1), "1\u{202f}234,5");
        assert_eq!(Locale::It.number(1234.5, 1), "1.234,5");
        assert_eq!(Locale::En.number(1_234_567.0, 0), "1,234,567");
        assert_eq!(Locale::En.number(-12.0, 0), "−12");
        assert_eq!(Locale::En.number(-0.01, 0), "0");
        assert_eq!(Locale::En.percent(0.853), "85%");
        assert_eq!(Locale::Fr.percent(0.853), "85\u{202f}%");
        assert_eq!(Locale::It.percent(0.055), "5,5%");
    }

    #[test]
    fn plural_forms_follow_each_locale() {
        assert_eq!(Locale::En.plural(0, "ticket", "tickets"), "tickets");
        assert_eq!(Locale::En.plural(1, "ticket", "tickets"), "ticket");
        assert_eq!(Locale::Fr.plural(0, "ouvert", "ouverts"), "ouvert");
        assert_eq!(Locale::Fr.plural(1, "ouvert", "ouverts"), "ouvert");
        assert_eq!(Locale::Fr.plural(2, "ouvert", "ouverts"), "ouverts");
        assert_eq!(Locale::It.plural(0, "aperto", "aperti"), "aperti");
        assert_eq!(Locale::It.plural(1, "aperto", "aperti"), "aperto");
    }

    #[test]
    fn durations_use_two_units() {
        assert_eq!(Locale::En.duration(8100.0), "2h 15m");
        assert_eq!(Locale::Fr.duration(8100.0), "2\u{a0}h 15\u{a0}min");
        assert_eq!(
            Locale::En.duration(3.0 * 86_400.0 + 4.0 * 3600.0 + 59.0),
            "3d 4h"
        );
        assert_eq!(Locale::It.duration(2.0 * 86_400.0), "2\u{a0}g");
        assert_eq!(Locale::En.duration(20.0), "<1m");
        assert_eq!(Locale::En.duration(0.0), "0m");
    }

    #[test]
    fn date_ranges() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            Locale::En.date_range(d(2026, 11, 16), d(2026, 11, 22)),
            "16–22 November 2026"
        );
        assert_eq!(
            Locale::Fr.date_range(d(2026, 11, 30), d(2026, 12, 6)),
            "30 novembre – 6 décembre 2026"
        );
        assert_eq!(
            Locale::It.date_range(d(2025, 12, 29), d(2026, 1, 4)),
            "29 dicembre 2025 – 4 gennaio 2026"
        );
        assert_eq!(
            Locale::Fr.date_range(d(2026, 6, 1), d(2026, 6, 7)),
            "1er–7 juin 2026"
        );
        assert_eq!("FR".parse::<Locale>(), Ok(Locale::Fr));
        assert!(
            "de".parse::<Locale>()
                .unwrap_err()
                .contains("expected en, fr or it")
        );
    }
}
