//! What each wire format's request looks like for the provider-neutral options:
//! images (and their removal for text-only models), reasoning levels, output limits.

mod llm_support;

use dash::llm::providers::{RequestOptions, build_request};
use dash::llm::{
    Api, Content, Context, ImageContent, Message, ReasoningLevel, UserContent, UserMessage,
};
use llm_support::model_for;
use serde_json::{Value, json};

fn with_image() -> Context {
    Context {
        messages: vec![Message::User(UserMessage {
            content: UserContent::Blocks(vec![
                Content::text("what is this?"),
                Content::Image(ImageContent {
                    data: "aGVsbG8=".into(),
                    mime_type: "image/png".into(),
                }),
            ]),
            timestamp: 0,
        })],
        ..Context::default()
    }
}

fn body(api: Api, ctx: &Context, opts: &RequestOptions, images: bool) -> Value {
    let mut m = model_for(api, "http://127.0.0.1:1");
    m.reasoning = true;
    if !images {
        m.input.retain(|k| *k == dash::llm::InputKind::Text);
    }
    build_request(&m, ctx, opts).body
}

#[test]
fn images_in_each_format_and_dropped_for_text_only_models() {
    let ctx = with_image();
    let o = RequestOptions::default();
    let b = body(Api::OpenaiCompletions, &ctx, &o, true);
    assert_eq!(
        b["messages"][0]["content"][1]["image_url"]["url"],
        "data:image/png;base64,aGVsbG8="
    );
    let b = body(Api::OpenaiResponses, &ctx, &o, true);
    assert_eq!(b["input"][0]["content"][1]["type"], "input_image");
    let b = body(Api::AnthropicMessages, &ctx, &o, true);
    assert_eq!(
        b["messages"][0]["content"][1]["source"],
        json!({"type": "base64", "media_type": "image/png", "data": "aGVsbG8="})
    );
    let b = body(Api::GoogleGenerativeAi, &ctx, &o, true);
    assert_eq!(
        b["contents"][0]["parts"][1]["inlineData"]["mimeType"],
        "image/png"
    );
    for api in Api::ALL {
        let text = body(api, &ctx, &o, false).to_string();
        assert!(
            !text.contains("aGVsbG8="),
            "{api} sent an image to a text-only model"
        );
        assert!(text.contains("what is this?"), "{api}");
    }
}

#[test]
fn reasoning_levels_and_output_limits() {
    let ctx = Context {
        messages: vec![Message::user("think")],
        ..Context::default()
    };
    let o = RequestOptions {
        max_tokens: Some(4000),
        temperature: Some(0.5),
        reasoning: Some(ReasoningLevel::High),
        ..RequestOptions::default()
    };
    let b = body(Api::OpenaiResponses, &ctx, &o, true);
    assert_eq!(b["reasoning"], json!({"effort": "high", "summary": "auto"}));
    assert_eq!(b["include"], json!(["reasoning.encrypted_content"]));
    assert_eq!(b["max_output_tokens"], 4000);
    let b = body(Api::AnthropicMessages, &ctx, &o, true);
    assert_eq!(b["thinking"]["type"], "enabled");
    let budget = b["thinking"]["budget_tokens"].as_u64().unwrap();
    assert!(budget >= 1024 && budget < b["max_tokens"].as_u64().unwrap());
    assert!(
        b.get("temperature").is_none(),
        "no temperature while thinking"
    );
    let b = body(Api::GoogleGenerativeAi, &ctx, &o, true);
    assert_eq!(
        b["generationConfig"]["thinkingConfig"]["includeThoughts"],
        true
    );
    assert_eq!(b["generationConfig"]["maxOutputTokens"], 4000);
    // A local OpenAI-compatible server gets no reasoning_effort unless its compat
    // flags say it understands it.
    let b = body(Api::OpenaiCompletions, &ctx, &o, true);
    assert!(b.get("reasoning_effort").is_none());
    assert_eq!(b["max_tokens"], 4000);
    assert_eq!(b["temperature"], 0.5);
}
