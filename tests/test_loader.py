"""The loader: positions, every problem in one pass, safe YAML, friendly messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import problems

from chatserve.config.loader import load_config
from chatserve.config.source import MAX_FILE_BYTES, RawScalar, Source, parse
from chatserve.errors import ConfigError


def test_valid_config_loads_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text("fn: bot.py:reply\ntitle: Hi\n")
    config = load_config(path)
    assert config.fn == "bot.py:reply"
    assert config.title == "Hi"
    assert config.theme == "default"
    assert config.autofocus is True
    assert config.server.port == 8000
    assert config.source.locate(("title",)) == (2, 1)


def test_every_problem_is_reported_in_one_pass_with_line_and_column(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        titel: Hello
        title: Yes
        chatbot:
            height: tall
            placeholdr: x
        theme: blue
        server:
          port: 70000
        title: Again
        examples: [a, 3]
        """,
    )
    assert found == [
        "bot.yaml:1:1: fn: missing required key",
        "bot.yaml:1:1: titel: unknown key 'titel'; did you mean 'title'?",
        "bot.yaml:4:5: chatbot.height: must be an integer or a CSS length such as '70vh', "
        "got 'tall'",
        "bot.yaml:5:5: chatbot.placeholdr: unknown key 'placeholdr'; did you mean 'placeholder'?",
        "bot.yaml:6:1: theme: must be one of 'default', 'soft', 'ocean', 'citrus', 'glass', "
        "'monochrome', 'origin' or 'base', got 'blue'",
        "bot.yaml:8:3: server.port: must be less than or equal to 65535, got 70000",
        "bot.yaml:9:1: title: duplicate key 'title'; first defined at line 2",
        "bot.yaml:10:15: examples[1]: must be a string, a mapping of keys (text, files, expect) "
        "or a list, got int 3",
    ]


def test_missing_key_points_at_the_mapping_that_lacks_it(tmp_path: Path) -> None:
    assert problems(tmp_path, "# comment\n\ntitle: x\n") == [
        "bot.yaml:3:1: fn: missing required key"
    ]


def test_union_types_give_one_message(tmp_path: Path) -> None:
    assert problems(tmp_path, "fn: a:b\nsubmit_btn: 5\n") == [
        "bot.yaml:2:1: submit_btn: must be a string or true/false, got int 5"
    ]


def test_unknown_key_without_close_match_lists_the_allowed_keys(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "fn: a:b\ntextbox:\n  zzz: 1\n")
    assert problem == (
        "bot.yaml:3:3: textbox.zzz: unknown key 'zzz'; expected one of: placeholder, "
        "lines, max_lines, max_length, submit_btn, stop_btn, autofocus, file_types, file_count, "
        "max_file_size"
    )


def test_fn_must_name_module_and_function(tmp_path: Path) -> None:
    assert problems(tmp_path, "fn: bot.reply\n") == [
        "bot.yaml:1:1: fn: 'bot.reply' must be in format \"<module>:<function>\" or "
        '"<file.py>:<function>"'
    ]


def test_types_are_strict(tmp_path: Path) -> None:
    assert problems(tmp_path, "fn: a:b\nconcurrency_limit: '8'\nautofocus: 'yes'\n") == [
        "bot.yaml:2:1: concurrency_limit: must be an integer, got '8'",
        "bot.yaml:3:1: autofocus: must be true/false, got 'yes'",
    ]


def test_server_settings_read_text_as_numbers_since_the_environment_is_text(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text("fn: a:b\nserver:\n  port: '8001'\n")
    assert load_config(path).server.port == 8001
    assert problems(tmp_path, "fn: a:b\nserver:\n  port: eighty\n") == [
        "bot.yaml:3:3: server.port: must be an integer, got 'eighty'"
    ]


def test_syntax_error_is_located(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "fn: [a\ntitle: x\n")
    assert problem.startswith("bot.yaml:2:6: YAML syntax error: expected ',' or ']'")


def test_bad_indentation_is_a_syntax_error_not_a_traceback(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "fn: a:b\nchatbot:\n  height: 3\n placeholder: x\n")
    assert problem.startswith("bot.yaml:4:2: YAML syntax error")


def test_python_tags_are_refused(tmp_path: Path) -> None:
    assert problems(tmp_path, "fn: !!python/object/apply:os.system ['echo hi']\n") == [
        "bot.yaml:1:5: unsupported YAML tag '!!python/object/apply:os.system'; config files are "
        "plain data (no Python objects, no custom tags)"
    ]
    [scalar] = problems(tmp_path, "fn: !!python/name:os.system\n")
    assert "unsupported YAML tag '!!python/name:os.system'" in scalar


def test_alias_bomb_is_stopped(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for name, previous in zip("bcdef", "abcde", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]")
    [problem] = problems(tmp_path, "\n".join(lines) + "\n")
    assert problem.startswith("bot.yaml:1:1: document expands to more than 100,000 values")


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: " + "[" * 5000 + "]" * 5000 + "\n"])
def test_recursive_alias_and_deep_nesting_are_stopped(tmp_path: Path, text: str) -> None:
    assert problems(tmp_path, text) == ["bot.yaml:1:1: document nests more than 50 levels deep"]


def test_merge_keys_work_and_may_override(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text("fn: a:b\nchatbot:\n  <<: {placeholder: hi, height: 100}\n  height: 200\n")
    config = load_config(path)
    assert (config.chatbot.placeholder, config.chatbot.height) == ("hi", 200)


def test_dates_stay_strings(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text("fn: a:b\ntitle: 2024-01-01\n")
    assert load_config(path).title == "2024-01-01"


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text("fn: a:b\n" + "#" * MAX_FILE_BYTES)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "the limit is 1,048,576" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "file is empty; a config needs at least 'fn'"),
        ("- a\n- b\n", "the top level must be a mapping of keys, got a list"),
    ],
)
def test_empty_or_non_mapping_file(tmp_path: Path, text: str, message: str) -> None:
    assert problems(tmp_path, text) == [f"bot.yaml:1:1: {message}"]


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_bytes(b"fn: a:b\ntitle: \xff\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


@pytest.mark.parametrize("height", ["70vh", "300px", "12.5rem", "100%", 300])
def test_css_lengths_are_accepted(tmp_path: Path, height: object) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text(f"fn: a:b\nchatbot:\n  height: {height}\n")
    assert load_config(path).chatbot.height == height


@pytest.mark.parametrize("height", ["1px; background: url(x)", "calc(100%)", "-5px", 0])
def test_css_injection_through_height_is_refused(tmp_path: Path, height: object) -> None:
    [problem] = problems(tmp_path, f"fn: a:b\nchatbot:\n  height: '{height}'\n".replace("'0'", "0"))
    assert problem.startswith("bot.yaml:3:3: chatbot.height: must be")


def test_raw_text_of_every_scalar_value_is_kept() -> None:
    text = "a: no\nb: 'no'\nc:\n  - 0755\n  - |\n    text\nd:\n"
    _, source, _ = parse(text, Source("bot.yaml"))
    assert source.scalars == {
        ("a",): RawScalar("no", plain=True),
        ("b",): RawScalar("no", plain=False),
        ("c", 0): RawScalar("0755", plain=True),
        ("c", 1): RawScalar("text\n", plain=False),
        ("d",): RawScalar("", plain=True),
    }


def test_yaml_booleans_where_text_was_meant(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        fn: a:b
        title: no
        textbox: {placeholder: off}
        chatbot:
          placeholder: Yes
        description: true
        additional_inputs_accordion:
          label: ON
        """,
    )
    assert found == [
        "bot.yaml:2:1: title: must be a string, got false "
        "(YAML reads an unquoted 'no' as a boolean; write \"no\" in quotes)",
        "bot.yaml:3:11: textbox.placeholder: must be a string, got false "
        "(YAML reads an unquoted 'off' as a boolean; write \"off\" in quotes)",
        "bot.yaml:5:3: chatbot.placeholder: must be a string, got true "
        "(YAML reads an unquoted 'Yes' as a boolean; write \"Yes\" in quotes)",
        # `true` says what it is: no hint.
        "bot.yaml:6:1: description: must be a string, got true",
        "bot.yaml:8:3: additional_inputs_accordion.label: must be a string, got true "
        "(YAML reads an unquoted 'ON' as a boolean; write \"ON\" in quotes)",
    ]


def test_quoted_words_and_y_n_stay_text(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text("fn: a:b\ntitle: 'no'\ndescription: y\ntextbox: {placeholder: n}\n")
    config = load_config(path)
    assert (config.title, config.description, config.textbox.placeholder) == ("no", "y", "n")


def test_numbers_where_text_was_meant(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        fn: a:b
        title: 0755
        description: 1:30
        textbox:
          placeholder: 0x1F
        chatbot:
          placeholder: 1_000
        server:
          host: 42
          allowed_paths: [0b11]
        """,
    )
    assert found == [
        "bot.yaml:2:1: title: must be a string, got int 493 "
        "(YAML 1.1 reads an unquoted '0755' as an octal number; write \"0755\" in quotes)",
        "bot.yaml:3:1: description: must be a string, got int 90 "
        "(YAML 1.1 reads an unquoted '1:30' as a base-60 number; write \"1:30\" in quotes)",
        "bot.yaml:5:3: textbox.placeholder: must be a string, got int 31 "
        "(YAML reads an unquoted '0x1F' as a hexadecimal number; write \"0x1F\" in quotes)",
        "bot.yaml:7:3: chatbot.placeholder: must be a string, got int 1000 "
        "(YAML reads an unquoted '1_000' as a number; write \"1_000\" in quotes)",
        # 42 looks like the number it is: no hint.
        "bot.yaml:9:3: server.host: must be a string, got int 42",
        "bot.yaml:10:19: server.allowed_paths[0]: must be a string, got int 3 "
        "(YAML 1.1 reads an unquoted '0b11' as a binary number; write \"0b11\" in quotes)",
    ]


def test_null_where_text_was_meant(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        fn: a:b
        submit_btn: ~
        stop_btn:
        server:
          allowed_paths: [null]
        """,
    )
    assert found == [
        "bot.yaml:2:1: submit_btn: must be a string or true/false, got null "
        "(YAML reads an unquoted '~' as null; write \"~\" in quotes)",
        "bot.yaml:3:1: stop_btn: must be a string or true/false, got null "
        '(YAML reads an empty value as null; write "" for empty text)',
        # `null` says what it is: no hint.
        "bot.yaml:5:19: server.allowed_paths[0]: must be a string, got nothing (null)",
    ]


def test_surprising_values_are_explained_where_text_would_not_do(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        fn: a:b
        theme: no
        server:
          port: 0xFFFFF
          max_upload_size: 'off'
        additional_inputs:
          - type: number
            value: off
        """,
    )
    assert found == [
        "bot.yaml:2:1: theme: must be one of 'default', 'soft', 'ocean', 'citrus', 'glass', "
        "'monochrome', 'origin' or 'base', got false (YAML reads an unquoted 'no' as a boolean)",
        "bot.yaml:4:3: server.port: must be less than or equal to 65535, got 1048575 "
        "(YAML reads an unquoted '0xFFFFF' as a hexadecimal number)",
        # Quoted, so YAML took it as written: no hint.
        "bot.yaml:5:3: server.max_upload_size: must be bytes as an integer or a size such as "
        "'10MB', got 'off'",
        "bot.yaml:8:5: additional_inputs[0].value: must be a number, got false "
        "(YAML reads an unquoted 'off' as a boolean)",
    ]


def test_yes_and_no_among_choices_are_ambiguous(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        fn: a:b
        additional_inputs:
          - type: dropdown
            choices: [yes, No, "on", true, 1]
          - type: radio
            choices:
              - [Off, 0]
              - [On, 1]
        """,
    )
    assert found == [
        "bot.yaml:4:15: additional_inputs[0].choices[0]: YAML reads an unquoted 'yes' as the "
        'boolean true; write "yes" in quotes for text, or true for a boolean',
        "bot.yaml:4:20: additional_inputs[0].choices[1]: YAML reads an unquoted 'No' as the "
        'boolean false; write "No" in quotes for text, or false for a boolean',
        "bot.yaml:7:10: additional_inputs[1].choices[0][0]: YAML reads an unquoted 'Off' as the "
        'boolean false; write "Off" in quotes for text, or false for a boolean',
        "bot.yaml:8:10: additional_inputs[1].choices[1][0]: YAML reads an unquoted 'On' as the "
        'boolean true; write "On" in quotes for text, or true for a boolean',
    ]


def test_boolean_choices_written_as_booleans_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text(
        "fn: a:b\nadditional_inputs:\n  - {type: radio, choices: [true, false], value: yes}\n"
        "  - {type: checkbox, value: yes}\n"
    )
    radio, checkbox = load_config(path).additional_inputs
    assert (radio.choices, radio.value, checkbox.value) == ([True, False], True, True)


def test_a_mapping_check_points_at_the_key_it_names(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        fn: a:b
        additional_inputs:
          - type: radio
            choices: ["yes", "no"]
            value: yes
          - type: slider
            maximum: 5
            minimum: 10
        """,
    )
    assert found == [
        "bot.yaml:5:5: additional_inputs[0]: value True is not one of the choices ['yes', 'no'] "
        "(YAML reads an unquoted 'yes' as a boolean)",
        "bot.yaml:8:5: additional_inputs[1]: minimum (10) must be below maximum (5)",
    ]


def test_example_rows_explain_yaml_readings(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        fn: a:b
        additional_inputs: [textbox]
        examples:
          - [no, x]
          - [hi, 0755]
        """,
    )
    assert found == [
        "bot.yaml:4:6: examples[0][0]: the message must be text or {text, files} "
        "(YAML reads an unquoted 'no' as a boolean)",
        "bot.yaml:5:10: examples[1][1]: value must be text, got 493 "
        "(YAML 1.1 reads an unquoted '0755' as an octal number)",
    ]


def test_list_where_a_mapping_was_expected_names_the_keys(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        fn: a:b
        chatbot: [height, 300]
        server: 8000
        additional_inputs_accordion: [Options]
        additional_inputs:
          - [textbox]
        additional_outputs:
          - [markdown]
        """,
    )
    assert found == [
        "bot.yaml:2:1: chatbot: must be a mapping of keys (placeholder, height, type, "
        "min_height, max_height, ...), got a list",
        "bot.yaml:3:1: server: must be a mapping of keys (host, port, root_path, "
        "forwarded_allow_ips, allowed_hosts, ...), got int 8000",
        "bot.yaml:4:1: additional_inputs_accordion: must be a string or a mapping of keys "
        "(label, open), got a list",
        "bot.yaml:6:5: additional_inputs[0]: must be a mapping of keys (type, label, info, "
        "position, value, ...), got a list",
        "bot.yaml:8:5: additional_outputs[0]: must be a mapping of keys (type, label, language), "
        "got a list",
    ]


def test_mapping_or_scalar_where_a_list_was_expected(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        fn: a:b
        examples: {a: b}
        textbox:
          file_types: image
        server:
          allowed_paths: "my files"
        additional_inputs:
          - type: checkboxgroup
            choices: [a, b]
            value: {a: 1}
        """,
    )
    assert found == [
        "bot.yaml:2:1: examples: must be a list, got a mapping",
        "bot.yaml:4:3: textbox.file_types: must be a list, got 'image' "
        "(for a list of one, write [image])",
        "bot.yaml:6:3: server.allowed_paths: must be a list, got 'my files' "
        '(for a list of one, write ["my files"])',
        "bot.yaml:10:5: additional_inputs[0].value: must be a list, got a mapping",
    ]


def test_wrong_type_of_a_nested_key_is_reported_at_its_line(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        fn: a:b
        examples:
          - text: hi
            files:
              - {path: a.png}
        additional_inputs:
          - type: textbox
            label:
              text: Name
        """,
    )
    assert found == [
        "bot.yaml:5:9: examples[0].files[0]: must be a string, got a mapping",
        "bot.yaml:8:5: additional_inputs[0].label: must be a string, got a mapping",
    ]


def test_input_without_a_type_lists_the_types(tmp_path: Path) -> None:
    assert problems(tmp_path, "fn: a:b\nadditional_inputs:\n  - label: Name\n") == [
        "bot.yaml:3:5: additional_inputs[0].type: missing required key; expected one of "
        "'textbox', 'number', 'slider', 'checkbox', 'dropdown', 'radio', 'checkboxgroup', 'file', "
        "'image'"
    ]


def test_float_or_int_asks_for_a_number(tmp_path: Path) -> None:
    text = "fn: a:b\nadditional_inputs:\n  - type: number\n    value: '3'\n"
    assert problems(tmp_path, text) == [
        "bot.yaml:4:5: additional_inputs[0].value: must be a number, got '3'"
    ]
