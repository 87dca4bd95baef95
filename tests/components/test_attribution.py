"""Word occlusion on really trained models: the word carrying the fact decides."""

from __future__ import annotations

import pandas as pd
import pytest
from tests.components.small_model import generated_texts, trained_package

from mlops_lab.components.attribution import occlusion_attributions, sample_notes
from mlops_lab.components.baseline import TfidfComplianceModel, fit_tfidf_baseline
from mlops_lab.pipelines.component_compliance.nodes import attribute_note_tokens

# Compliant but for one word each; the word that makes the note non-compliant.
NOTES = {
    "wo 4411 bracket made of plastic in good condition manufactured in 2012": "plastic",
    "odometer 84312 km housing in poor condition made of steel built in 2009": "poor",
    "customer says noisy mount steel new condition built in 1981": "1981",
}
COMPLIANT = "wo 4411 bracket made of steel in good condition manufactured in 2012"


def _tfidf() -> TfidfComplianceModel:
    train = generated_texts(2000, seed=11)
    pipeline = fit_tfidf_baseline(
        train["text"], train["label"], {"ngram_range": [2, 4], "max_features": 20000, "C": 10.0}, 0
    )
    example = pd.DataFrame({"text": ["steel, good, 2001"]})
    return TfidfComplianceModel(pipeline, example, 0.5, 500, 256, 1.0)


@pytest.mark.slow
@pytest.mark.parametrize("build", [trained_package, _tfidf], ids=["char_bilstm", "tfidf_logreg"])
def test_the_word_carrying_the_non_compliant_fact_gets_the_top_attribution(build):
    model = build()
    table = occlusion_attributions(model, list(NOTES))
    for index, (note, fact) in enumerate(NOTES.items()):
        words = table[table["note"] == index]
        assert words["word"].tolist() == note.split()
        top = words.loc[words["attribution"].idxmax()]
        assert top["word"] == fact, words.sort_values("attribution").tail(3)
        assert top["attribution"] > 0.2
        assert words["probability"].iloc[0] > 0.5
    # In a compliant note no word pushes it far towards non-compliance.
    compliant = occlusion_attributions(model, [COMPLIANT])
    assert compliant["probability"].iloc[0] < 0.5
    assert compliant["attribution"].max() < 0.2


class _Broken:
    """Answers NaN for every note, as a model with a numerical fault would."""

    def classify(self, texts):
        return pd.DataFrame({"probability": [float("nan")] * len(texts)})


def test_an_attribution_that_fails_is_an_error():
    with pytest.raises(ValueError, match="not finite for note 0"):
        occlusion_attributions(_Broken(), ["made of steel good 2001"])
    with pytest.raises(ValueError, match="note 1 \\('steel'\\) has 1 word"):
        occlusion_attributions(_Broken(), ["made of steel", "steel"])


def test_sample_takes_both_classes_and_the_mistakes_first():
    notes = pd.DataFrame(
        {
            "text": ["a b", "c d", "e f", "g h", "i j", "k"],
            "label": [0, 0, 0, 1, 1, 1],
            "predicted": [1, 0, 0, 1, 0, 1],
        }
    )
    sample = sample_notes(notes, per_class=2, seed=0)
    assert sample.groupby("label").size().to_dict() == {0: 2, 1: 2}
    assert {"a b", "i j"} <= set(sample["text"])  # the mistakes
    assert "k" not in set(sample["text"])  # one word: nothing to leave out


@pytest.mark.slow
def test_node_explains_the_same_notes_for_both_candidates():
    network, baseline = trained_package(), _tfidf()
    test = generated_texts(200, seed=21)
    predictions = pd.concat(
        [test.assign(model=m.kind, predicted=test["label"]) for m in (network, baseline)]
    )
    table = attribute_note_tokens(network, baseline, predictions, {"per_class": 2, "seed": 0})
    by_model = {kind: frame for kind, frame in table.groupby("model")}
    assert set(by_model) == {"char_bilstm", "tfidf_logreg"}
    texts = {kind: set(frame["text"]) for kind, frame in by_model.items()}
    assert texts["char_bilstm"] == texts["tfidf_logreg"] and len(texts["char_bilstm"]) == 4
    assert set(table["label"]) == {0, 1}
