using Ssm.Engine.Models.Text;
using Xunit;

namespace Ssm.Engine.Models.Tests.Text;

public class NfcTests
{
    [Theory]
    [InlineData("e\u0301", "\u00E9")]                    // compose
    [InlineData("a\u0301\u0316", "\u00E1\u0316")]        // reorder (220 before 230), then compose the unblocked mark
    [InlineData("\u212B", "\u00C5")]                     // singleton decomposition
    [InlineData("\u0958", "\u0915\u093C")]               // composition exclusion stays decomposed
    [InlineData("\u1100\u1161\u11A8", "\uAC01")]         // Hangul L V T
    [InlineData("\uAC00\u11A8", "\uAC01")]               // Hangul LV + T
    [InlineData("\u1E9B\u0323", "\u1E9B\u0323")]         // long s with dot above + dot below (UAX #15 example)
    [InlineData("\u0041\u030A\u0301", "\u01FA")]         // A ring acute
    [InlineData("x\U0001E08F\U00010EFD", "x\U00010EFD\U0001E08F")] // Unicode 15.0 marks (230, 220) reorder
    [InlineData("\U0001611E\U0001611E", "\U00016121")]      // Gurung Khema, a Unicode 16.0 composition
    [InlineData("x\u1AD0\u0316", "x\u1AD0\u0316")]          // U+1AD0 is 17.0: unassigned in 16.0, so class 0
    [InlineData("plain ASCII", "plain ASCII")]
    [InlineData("\U0001D400\u0301", "\U0001D400\u0301")] // supplementary-plane starter
    [InlineData("\u0301e", "\u0301e")]                   // leading non-starter
    public void Normalize_GivesNfc(string input, string expected)
    {
        Assert.Equal(expected, Nfc.Normalize(input));
    }

    [Fact]
    public void Normalize_IsIdempotent_OnMixedScripts()
    {
        var rng = new Random(20251123);
        int[] pool = [0x41, 0x65, 0x300, 0x301, 0x316, 0x327, 0x1100, 0x1161, 0x11A8, 0xAC00, 0x3099, 0x304B, 0x0915,
                      0x093C, 0x05D0, 0x05B7, 0x1E9B, 0x0323, 0x212B, 0x1F00, 0x0345, 0x0F71, 0x0F72, 0x0F80, 0x1D15E];
        for (int t = 0; t < 2000; t++)
        {
            var cps = new int[rng.Next(1, 12)];
            for (int i = 0; i < cps.Length; i++) cps[i] = pool[rng.Next(pool.Length)];
            string s = PreTokenizer.FromCodePoints(cps);
            string once = Nfc.Normalize(s);
            Assert.Equal(once, Nfc.Normalize(once));
        }
    }

    [Fact]
    public void UnicodeVersion_IsReported()
    {
        Assert.Matches(@"^\d+\.\d+(\.\d+)?$", Nfc.UnicodeVersion);
    }
}
