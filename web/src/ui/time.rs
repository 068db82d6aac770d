//! The browser's clock and calendar, in the person's own time zone: the core takes time as an
//! argument and shows dates as UTC days, so local time is read and formatted here.

use tandem_core::{Timestamp, model::Date};

/// Now, in milliseconds since the Unix epoch.
pub fn now() -> Timestamp {
    Timestamp(js_sys::Date::now() as i64)
}

/// Today's date where the person is.
pub fn today() -> Date {
    local_date(now())
}

/// The local calendar day of a moment.
pub fn local_date(at: Timestamp) -> Date {
    let d = js_sys::Date::new(&(at.0 as f64).into());
    // getMonth is 0-based; a valid Date always yields a valid calendar day.
    Date::new(d.get_full_year() as i32, d.get_month() as u8 + 1, d.get_date() as u8).unwrap_or(Date {
        year: 1970,
        month: 1,
        day: 1,
    })
}

/// "09:41": the local time of day, 24-hour.
pub fn clock(at: Timestamp) -> String {
    let d = js_sys::Date::new(&(at.0 as f64).into());
    format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
}

/// "2026-11-22 09:41", local.
pub fn date_time(at: Timestamp) -> String {
    format!("{} {}", local_date(at), clock(at))
}
