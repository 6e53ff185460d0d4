//! Whole frames: a 4-byte size, a header whose version follows from the API and its version, and a body.
//! This is what a broker reads off a connection and what a client writes.

use bytes::Bytes;
use thiserror::Error;

use crate::error::{DecodeError, DecodeErrorKind, EncodeError};
use crate::messages::{RequestHeader, ResponseHeader};
use crate::reader::Reader;
use crate::writer::{EncodedFrame, Writer};
use crate::{ApiKey, Message, RequestBody, ResponseBody};

/// The request header version for `api_key` at `version`: 2 where the request is flexible, else 1. Versions
/// newer than we know are judged by the flexible range, which is open-ended, so a newer client's ApiVersions
/// header still parses and can be answered with UNSUPPORTED_VERSION.
pub fn request_header_version(api_key: ApiKey, version: i16) -> i16 {
    if version >= api_key.request_flexible_versions().min {
        2
    } else {
        1
    }
}

/// The response header version: 1 where the response is flexible, else 0; always 0 for ApiVersions, whose
/// response a client must read before it knows which versions the broker speaks.
pub fn response_header_version(api_key: ApiKey, version: i16) -> i16 {
    if api_key != ApiKey::ApiVersions && version >= api_key.response_flexible_versions().min {
        1
    } else {
        0
    }
}

/// Why a frame's size prefix was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FrameSizeError {
    #[error("frame size {0} is negative")]
    Negative(i32),
    #[error("frame size {size} exceeds the limit of {max_bytes} bytes")]
    TooLarge { size: usize, max_bytes: usize },
}

/// Checks a frame's 4-byte size prefix against the limit before anything is read or allocated for it.
pub fn frame_size(prefix: [u8; 4], max_bytes: usize) -> Result<usize, FrameSizeError> {
    let size = i32::from_be_bytes(prefix);
    if size < 0 {
        return Err(FrameSizeError::Negative(size));
    }
    let size = size as usize;
    if size > max_bytes {
        return Err(FrameSizeError::TooLarge { size, max_bytes });
    }
    Ok(size)
}

/// The header of a request frame. `api_key` is `None` when the key is unknown to us: the body cannot be
/// decoded, but the correlation id is there to log.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestFrameHeader {
    pub header: RequestHeader,
    pub api_key: Option<ApiKey>,
}

/// Decodes a request header from a frame (after its size prefix).
pub fn decode_request_header(r: &mut Reader) -> Result<RequestFrameHeader, DecodeError> {
    let head = r.peek();
    let (key, version) = match head {
        [k0, k1, v0, v1, ..] => (i16::from_be_bytes([*k0, *k1]), i16::from_be_bytes([*v0, *v1])),
        _ => (-1, 0),
    };
    let api_key = ApiKey::from_i16(key);
    let header_version = api_key.map_or(1, |k| request_header_version(k, version));
    let header = RequestHeader::decode(r, header_version)?;
    Ok(RequestFrameHeader { header, api_key })
}

/// A decoded request.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestFrame {
    pub header: RequestHeader,
    pub body: RequestBody,
}

/// Decodes a whole request frame (without its size prefix).
pub fn decode_request(frame: Bytes) -> Result<RequestFrame, DecodeError> {
    let mut r = Reader::new(frame);
    let RequestFrameHeader { header, api_key } = decode_request_header(&mut r)?;
    let api_key = api_key.ok_or(DecodeError {
        message: "RequestHeader",
        field: "request_api_key",
        version: header.request_api_version,
        kind: DecodeErrorKind::UnknownApiKey(header.request_api_key),
    })?;
    let body = RequestBody::decode(api_key, &mut r, header.request_api_version)?;
    Ok(RequestFrame { header, body })
}

/// Encodes a request frame with its size prefix; the header's key and version decide the encoding.
pub fn encode_request(header: &RequestHeader, body: &RequestBody) -> Result<EncodedFrame, EncodeError> {
    let version = header.request_api_version;
    let header_version = request_header_version(body.api_key(), version);
    let size = header.encoded_len(header_version) + body.encoded_len(version);
    let mut w = Writer::with_capacity(4 + size.min(64 * 1024));
    w.i32(size as i32);
    header.encode(&mut w, header_version)?;
    body.encode(&mut w, version)?;
    Ok(w.finish())
}

/// Encodes a response frame with its size prefix.
pub fn encode_response(correlation_id: i32, version: i16, body: &ResponseBody) -> Result<EncodedFrame, EncodeError> {
    let header_version = response_header_version(body.api_key(), version);
    let header = ResponseHeader { correlation_id, ..Default::default() };
    let size = header.encoded_len(header_version) + body.encoded_len(version);
    let mut w = Writer::with_capacity(4 + size.min(64 * 1024));
    w.i32(size as i32);
    header.encode(&mut w, header_version)?;
    body.encode(&mut w, version)?;
    Ok(w.finish())
}

/// Decodes a response frame (without its size prefix) to a request of `api_key` at `version`.
pub fn decode_response(
    frame: Bytes,
    api_key: ApiKey,
    version: i16,
) -> Result<(ResponseHeader, ResponseBody), DecodeError> {
    let mut r = Reader::new(frame);
    let header = ResponseHeader::decode(&mut r, response_header_version(api_key, version))?;
    let body = ResponseBody::decode(api_key, &mut r, version)?;
    Ok((header, body))
}
