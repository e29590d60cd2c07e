using MtlBatch.Evaluation;

namespace MtlBatch.Corpus.Tests;

public class MetricTests
{
    [Fact]
    public void Error_rates_count_edits_over_reference_length()
    {
        var wer = new ErrorRate();
        wer.AddWords("the cat sat on the mat", "the cat sit on mat");
        Assert.Equal(2.0 / 6, wer.Value, 6);
        var cer = new ErrorRate();
        cer.AddChars("abc", "abd");
        cer.AddChars("hello", "hello");
        Assert.Equal(1.0 / 8, cer.Value, 6);
    }

    [Fact]
    public void Hypothesis_words_are_correct_only_where_the_wer_alignment_hits()
    {
        // ref: the cat sat on the mat / hyp: the cat sit on mat  -> the, cat, on, mat hit; "sit" is a substitution.
        Assert.Equal([true, true, false, true, true],
            EditDistance.MatchedHypothesis("the cat sat on the mat".Split(' '), "the cat sit on mat".Split(' ')));
        Assert.Equal([false, true, false], EditDistance.MatchedHypothesis("a b".Split(' '), "x a y".Split(' ')));
        Assert.Empty(EditDistance.MatchedHypothesis(["a"], Array.Empty<string>()));
    }

    [Fact]
    public void Calibration_error_is_zero_when_confidence_equals_the_share_correct_and_grows_with_overconfidence()
    {
        var exact = new ConfidenceCalibration();
        for (var i = 0; i < 8; i++) exact.Add(0.75, i < 6); // 6 of 8 = 0.75
        for (var i = 0; i < 4; i++) exact.Add(0.25, i == 0); // 1 of 4 = 0.25
        Assert.Equal(0, exact.ExpectedCalibrationError!.Value, 9);
        Assert.Equal(12, exact.Words);
        Assert.Equal(7.0 / 12, exact.Accuracy!.Value, 9);

        var overconfident = new ConfidenceCalibration();
        overconfident.Add("the cat sat", [("the", 0.95), ("dog", 0.95), ("sat", 0.95)]); // 2 of 3 correct at 0.95
        Assert.Equal(0.95 - 2.0 / 3, overconfident.ExpectedCalibrationError!.Value, 9);
    }

    [Fact]
    public void Platt_fit_recovers_the_calibration_that_generated_the_words()
    {
        // Words whose true P(correct) = sigmoid(2 logit(c) - 0.5): the fit must find slope ~2, intercept ~-0.5.
        var random = new Random(7);
        var calibration = new ConfidenceCalibration();
        for (var i = 0; i < 20000; i++)
        {
            var c = 0.02 + 0.96 * random.NextDouble();
            var p = 1 / (1 + Math.Exp(-(2 * Math.Log(c / (1 - c)) - 0.5)));
            calibration.Add(c, random.NextDouble() < p);
        }
        var (slope, intercept) = calibration.FitPlatt()!.Value;
        Assert.InRange(slope, 1.9, 2.1);
        Assert.InRange(intercept, -0.6, -0.4);
        Assert.Null(new ConfidenceCalibration().FitPlatt());
    }

    [Fact]
    public void Equal_error_rate_of_separable_and_random_scores()
    {
        Assert.Equal(0, EqualErrorRate.Compute([0.9, 0.8, 0.7], [0.1, 0.2, 0.3]), 6);
        Assert.Equal(1, EqualErrorRate.Compute([0.1, 0.2], [0.8, 0.9]), 6);
        var random = new Random(1);
        var genuine = Enumerable.Range(0, 2000).Select(_ => random.NextDouble()).ToArray();
        var impostor = Enumerable.Range(0, 2000).Select(_ => random.NextDouble()).ToArray();
        Assert.InRange(EqualErrorRate.Compute(genuine, impostor), 0.45, 0.55);
    }

    [Fact]
    public void Classification_metrics()
    {
        var m = new ConfusionMatrix(["a", "b", "c"]);
        m.Add("a", "a"); m.Add("a", "b"); m.Add("b", "b"); m.Add("c", "c");
        Assert.Equal(0.75, m.Accuracy, 6);
        Assert.Equal(2.0 / 3, m.F1("a"), 6);
        Assert.Equal(2.0 / 3, m.F1("b"), 6);
        Assert.Equal((2.0 / 3 + 2.0 / 3 + 1) / 3, m.MacroF1, 6);
        var f = new BinaryF1();
        f.Add(true, true); f.Add(true, false); f.Add(false, true); f.Add(false, false);
        Assert.Equal(0.5, f.F1, 6);
    }

    [Fact]
    public void Der_is_zero_for_a_relabelled_perfect_hypothesis()
    {
        LabeledSpan[] reference = [new("A", 0, 5), new("B", 5, 9), new("A", 9, 12)];
        LabeledSpan[] hypothesis = [new("S2", 0, 5), new("S1", 5, 9), new("S2", 9, 12)];
        Assert.Equal(0, DiarizationErrorRate.Compute(reference, hypothesis).Der, 6);
    }

    [Fact]
    public void Der_counts_confusion_miss_and_false_alarm()
    {
        LabeledSpan[] reference = [new("A", 0, 10), new("B", 10, 20)];
        // Everything assigned to one speaker: half the speech is confused.
        var one = DiarizationErrorRate.Compute(reference, [new("S1", 0, 20)], collar: 0);
        Assert.Equal(0.5, one.Der, 2);
        Assert.Equal(0.5, one.Confusion, 2);
        // Nothing detected: all missed.
        Assert.Equal(1, DiarizationErrorRate.Compute(reference, [], collar: 0).Missed, 6);
        // Extra speech in the gap after the end is false alarm.
        var fa = DiarizationErrorRate.Compute(reference, [new("S1", 0, 10), new("S2", 10, 25)], collar: 0);
        Assert.Equal(0.25, fa.FalseAlarm, 2);
        Assert.Equal(0, one.OverlapFloor, 6);
    }

    [Fact]
    public void The_overlap_floor_is_the_speech_a_one_speaker_per_instant_system_must_miss()
    {
        // A talks 0-10 s, B 6-10 s over A: 14 s of reference speech, 4 s of it a second voice.
        LabeledSpan[] reference = [new("A", 0, 10), new("B", 6, 10)];
        var best = DiarizationErrorRate.Compute(reference, [new("S1", 0, 10)], collar: 0);
        Assert.Equal(4.0 / 14, best.OverlapFloor, 3);
        // Labelling A perfectly, one speaker at a time, reaches the floor and no lower.
        Assert.Equal(best.OverlapFloor, best.Der, 3);
        var split = DiarizationErrorRate.Compute(reference, [new("S1", 0, 6), new("S2", 6, 10)], collar: 0);
        Assert.True(split.Der >= split.OverlapFloor - 1e-9);
        // A system that labels the overlap with both speakers goes below it.
        Assert.Equal(0, DiarizationErrorRate.Compute(reference, [new("S1", 0, 10), new("S2", 6, 10)], collar: 0).Der, 6);
    }

    [Fact]
    public void Der_collar_forgives_small_boundary_errors()
    {
        LabeledSpan[] reference = [new("A", 0, 10), new("B", 10, 20)];
        LabeledSpan[] shifted = [new("S1", 0.2, 10.2), new("S2", 10.2, 19.8)];
        Assert.Equal(0, DiarizationErrorRate.Compute(reference, shifted, collar: 0.25).Der, 6);
        Assert.True(DiarizationErrorRate.Compute(reference, shifted, collar: 0).Der > 0.01);
    }
}
