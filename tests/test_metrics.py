"""Metrics: accuracy (indices, one-hot, binary logits), top-k, confusion matrix by hand."""

import numpy as np
import pytest

from leannet import metrics

SCORES = np.array([
    [0.1, 0.7, 0.2],   # predicts 1
    [0.5, 0.2, 0.3],   # predicts 0
    [0.2, 0.3, 0.5],   # predicts 2
    [0.25, 0.4, 0.35],  # predicts 1, then 2
])
LABELS = np.array([1, 2, 2, 2])  # right, wrong (2nd choice), right, wrong (2nd choice)


def test_accuracy_with_indices_and_one_hot():
    assert metrics.accuracy(SCORES, LABELS) == 0.5
    assert metrics.accuracy(SCORES, np.eye(3)[LABELS]) == 0.5


def test_accuracy_of_binary_logits_thresholds_at_zero():
    logits = np.array([[2.0], [-0.5], [0.1], [-3.0]])
    assert metrics.accuracy(logits, np.array([1, 0, 0, 0])) == 0.75
    assert metrics.accuracy(logits.ravel(), np.array([[1], [0], [1], [0]])) == 1.0


def test_accuracy_of_binary_probabilities_thresholds_at_half():
    probabilities = np.array([[0.9], [0.4], [0.6], [0.2]])
    labels = np.array([1, 0, 1, 0])
    assert metrics.accuracy(probabilities, labels, from_logits=False) == 1.0
    assert metrics.accuracy(probabilities, labels) == 0.5  # as logits, all are positive


def test_top_k_by_hand():
    assert metrics.top_k_accuracy(SCORES, LABELS, k=1) == 0.5
    assert metrics.top_k_accuracy(SCORES, LABELS, k=2) == 1.0
    assert metrics.top_k_accuracy(SCORES, np.array([0, 1, 0, 2]), k=2) == 0.25
    assert metrics.top_k_accuracy(SCORES, np.eye(3)[LABELS], k=2) == 1.0
    assert metrics.top_k_accuracy(SCORES, np.array([0, 1, 0, 2]), k=3) == 1.0


def test_top_k_equals_accuracy_for_k_one():
    rng = np.random.default_rng(0)
    scores, labels = rng.standard_normal((50, 6)), rng.integers(0, 6, size=50)
    assert metrics.top_k_accuracy(scores, labels, k=1) == metrics.accuracy(scores, labels)


@pytest.mark.parametrize("k", [0, 4])
def test_top_k_rejects_bad_k(k):
    with pytest.raises(ValueError, match=rf"top_k_accuracy: .*1 <= k <= C.*\(4, 3\) and k={k}"):
        metrics.top_k_accuracy(SCORES, LABELS, k=k)


def test_confusion_matrix_by_hand():
    true = np.array([0, 0, 1, 1, 1, 2])
    predicted = np.array([0, 1, 1, 1, 2, 0])
    expected = np.array([[1, 1, 0],
                         [0, 2, 1],
                         [1, 0, 0]])
    np.testing.assert_array_equal(metrics.confusion_matrix(true, predicted), expected)
    assert metrics.confusion_matrix(true, predicted).sum() == len(true)


def test_confusion_matrix_from_scores_and_one_hot():
    expected = np.array([[0, 0, 0],
                         [0, 1, 0],
                         [1, 1, 1]])
    np.testing.assert_array_equal(metrics.confusion_matrix(LABELS, SCORES), expected)
    np.testing.assert_array_equal(metrics.confusion_matrix(np.eye(3)[LABELS], SCORES), expected)


def test_confusion_matrix_with_more_classes_than_seen():
    counts = metrics.confusion_matrix(np.array([0, 1]), np.array([1, 1]), num_classes=4)
    assert counts.shape == (4, 4) and counts[0, 1] == 1 and counts[1, 1] == 1
    assert counts.sum() == 2


def test_confusion_matrix_rejects_labels_beyond_num_classes():
    with pytest.raises(ValueError, match=r"confusion_matrix: labels must be in \[0, 1\] for "
                                         r"num_classes=2, got values from 0 to 3"):
        metrics.confusion_matrix(np.array([0, 3]), np.array([0, 1]), num_classes=2)
    with pytest.raises(ValueError, match=r"predictions must be in \[0, 2\].*from -1 to 1"):
        metrics.confusion_matrix(np.array([0, 2]), np.array([-1, 1]))


def test_get():
    assert metrics.get("accuracy") is metrics.accuracy
    assert metrics.get("acc") is metrics.accuracy
    assert metrics.get("top_5_accuracy")(np.eye(6)[:, ::-1], np.arange(6)) == pytest.approx(5 / 6)
    with pytest.raises(ValueError, match=r"unknown metric 'f1'; expected one of"):
        metrics.get("f1")
