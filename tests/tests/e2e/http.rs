//! A small HTTP/1.1 client over a plain TCP socket, enough for the relay's JSON API: tests see
//! exactly the status, headers and body the relay sent.

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
};

#[derive(Debug, Clone)]
pub struct Http {
    addr: SocketAddr,
}

/// A raw answer: status, header lines, body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

impl Http {
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr }
    }

    /// Sends a request with any extra header lines and an optional JSON body.
    pub fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Answer {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", self.addr);
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(body) = body {
            head.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        if let Some(body) = body {
            // The relay may answer (413) and close before reading a large body.
            let _ = stream.write_all(body);
        }
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        let raw = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
        let mut lines = head.lines();
        let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect::<Vec<_>>();
        let chunked =
            headers.iter().any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
        let body = if chunked { dechunk(body) } else { body.to_owned() };
        Answer { status, headers, body }
    }

    /// A request authenticated with a bearer token (or not at all).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, String) {
        let auth = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
        let answer = self.send(method, path, &headers, body.map(str::as_bytes));
        (answer.status, answer.body)
    }

    /// A request authenticated with a session cookie (`name=value`).
    pub fn request_with_cookie(
        &self,
        method: &str,
        path: &str,
        cookie: &str,
        body: Option<&str>,
    ) -> (u16, String) {
        let answer = self.send(method, path, &[("Cookie", cookie)], body.map(str::as_bytes));
        (answer.status, answer.body)
    }

    /// Signs in; returns the status, the body and the session cookie (`tandem_session=...`).
    pub fn sign_in(&self, email: &str, password: &str) -> (u16, String, String) {
        let body = serde_json::json!({ "email": email, "password": password }).to_string();
        let answer = self.send("POST", "/api/session", &[], Some(body.as_bytes()));
        let cookie =
            answer.header("set-cookie").and_then(|c| c.split(';').next()).unwrap_or_default().to_owned();
        (answer.status, answer.body, cookie)
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// A top-level string field of a JSON object.
pub fn json_field(body: &str, field: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    value.get(field)?.as_str().map(str::to_owned)
}
