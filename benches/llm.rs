//! Throughput of the full event pipeline (SSE framing → wire parser → message builder
//! → events) on long recorded-shape streams, without HTTP. Run with
//! `cargo bench --bench llm`; divan reports the time per stream and MB/s.
//!
//! The streams are ~10 MB of realistic chunks with small deltas (5–8 bytes of text
//! per event), fed in 16 KiB reads like a socket would deliver them. The tool-call
//! case puts all 10 MB into one call's arguments: a pipeline that re-parsed the
//! argument buffer on every fragment (pi-ai does) would be quadratic here.

use dash::llm::builder::MessageBuilder;
use dash::llm::providers::parser_for;
use dash::llm::sse::SseParser;
use dash::llm::{Api, ModelCost};
use divan::counter::BytesCount;

fn main() {
    divan::main();
}

const TARGET: usize = 10 * 1024 * 1024;
/// The tool-call case is also run at a quarter of the size: equal MB/s at both
/// sizes is the evidence that argument parsing is linear, not quadratic.
const QUARTER: usize = TARGET / 4;
const READ: usize = 16 * 1024;
const WORDS: [&str; 8] = [
    "The ", "quick ", "brown ", "fox ", "jumps ", "over ", "lazy ", "dogs. ",
];

fn build(event: impl FnMut(usize) -> String, tail: &str) -> Vec<u8> {
    build_sized(TARGET, event, tail)
}

fn build_sized(size: usize, mut event: impl FnMut(usize) -> String, tail: &str) -> Vec<u8> {
    let mut s = String::with_capacity(size + 4096);
    let mut i = 0;
    while s.len() < size {
        s.push_str(&event(i));
        i += 1;
    }
    s.push_str(tail);
    s.into_bytes()
}

fn completions_text() -> Vec<u8> {
    build(
        |i| {
            format!(
                "data: {{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1730000000,\"model\":\"gpt-4o\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{}\"}},\"finish_reason\":null}}]}}\n\n",
                WORDS[i % 8]
            )
        },
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
    )
}

fn completions_tool_args(size: usize) -> Vec<u8> {
    let mut s = String::from(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"write_file\",\"arguments\":\"{\\\"path\\\":\\\"a.ts\\\",\\\"content\\\":\\\"\"}}]}}]}\n\n",
    );
    let body = build_sized(
        size,
        |i| {
            format!(
                "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"tool_calls\":[{{\"index\":0,\"function\":{{\"arguments\":\"{}\"}}}}]}}}}]}}\n\n",
                WORDS[i % 8]
            )
        },
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n",
    );
    s.push_str(std::str::from_utf8(&body).unwrap());
    s.into_bytes()
}

fn anthropic_text() -> Vec<u8> {
    let head = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\nevent: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
    let mut s = head.as_bytes().to_vec();
    s.extend(build(
        |i| {
            format!(
                "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"{}\"}}}}\n\n",
                WORDS[i % 8]
            )
        },
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":5}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    ));
    s
}

fn responses_text() -> Vec<u8> {
    let head = "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\"}}\n\n";
    let mut s = head.as_bytes().to_vec();
    s.extend(build(
        |i| {
            format!(
                "event: response.output_text.delta\ndata: {{\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"{}\",\"sequence_number\":{i}}}\n\n",
                WORDS[i % 8]
            )
        },
        "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"status\":\"completed\",\"usage\":{\"input_tokens\":5,\"output_tokens\":5}}}\n\n",
    ));
    s
}

fn google_text() -> Vec<u8> {
    build(
        |i| {
            format!(
                "data: {{\"candidates\":[{{\"content\":{{\"role\":\"model\",\"parts\":[{{\"text\":\"{}\"}}]}},\"index\":0}}],\"usageMetadata\":{{\"promptTokenCount\":29,\"candidatesTokenCount\":{i},\"totalTokenCount\":40}},\"modelVersion\":\"gemini-2.5-flash\"}}\r\n\r\n",
                WORDS[i % 8]
            )
        },
        "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"\"}]},\"finishReason\":\"STOP\",\"index\":0}]}\r\n\r\n",
    )
}

/// The whole pipeline over `body`; returns the number of events (so nothing is
/// optimised away) and checks the stream completed.
fn pipeline(api: Api, body: &[u8]) -> usize {
    let mut builder = MessageBuilder::new(api.as_str(), "bench", "m", ModelCost::default());
    let mut parser = parser_for(api);
    let mut sse = SseParser::new();
    let mut events = 0;
    for read in body.chunks(READ) {
        sse.feed(read, |e, d| {
            if !builder.is_finished() {
                parser.on_event(e, d, &mut builder)
            }
        });
        while let Some(e) = builder.pop_event() {
            events += 1;
            divan::black_box(e);
        }
    }
    sse.finish(|e, d| parser.on_event(e, d, &mut builder));
    if !builder.is_finished() {
        parser.on_eof(&mut builder);
    }
    while let Some(e) = builder.pop_event() {
        assert!(!matches!(e, dash::llm::Event::Error { .. }), "{api}: {e:?}");
        events += 1;
    }
    events
}

fn run(bencher: divan::Bencher, api: Api, body: Vec<u8>) {
    bencher
        .counter(BytesCount::new(body.len()))
        .bench(|| pipeline(api, divan::black_box(&body)));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn openai_completions_text(b: divan::Bencher) {
    run(b, Api::OpenaiCompletions, completions_text());
}

#[divan::bench(sample_count = 10, sample_size = 1, args = [QUARTER, TARGET])]
fn openai_completions_tool_arguments(b: divan::Bencher, size: usize) {
    run(b, Api::OpenaiCompletions, completions_tool_args(size));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn openai_responses_text(b: divan::Bencher) {
    run(b, Api::OpenaiResponses, responses_text());
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn anthropic_messages_text(b: divan::Bencher) {
    run(b, Api::AnthropicMessages, anthropic_text());
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn google_generative_ai_text(b: divan::Bencher) {
    run(b, Api::GoogleGenerativeAi, google_text());
}
