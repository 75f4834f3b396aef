using Ssm.Engine.Models.Text;
using Xunit;

namespace Ssm.Engine.Models.Tests.Text;

public class ByteLevelTests
{
    [Theory]
    [InlineData(0x20, '\u0120')]
    [InlineData(0x0A, '\u010A')]
    [InlineData(0x00, '\u0100')]
    [InlineData(0xAD, '\u0143')]
    [InlineData(0x21, '!')]
    [InlineData(0xFF, '\u00FF')]
    public void ToChar_MatchesGpt2BytesToUnicode(int b, char expected)
    {
        Assert.Equal(expected, ByteLevel.ToChar((byte)b));
    }

    [Fact]
    public void ToByte_InvertsToChar_ForAll256Bytes()
    {
        var seen = new HashSet<char>();
        for (int b = 0; b < 256; b++)
        {
            char c = ByteLevel.ToChar((byte)b);
            Assert.True(seen.Add(c));
            Assert.Equal(b, ByteLevel.ToByte(c));
        }
        Assert.Equal(-1, ByteLevel.ToByte(' '));
        Assert.Equal(-1, ByteLevel.ToByte('\u4E00'));
    }

    [Fact]
    public void AppendTokenBytes_UsesUtf8_WhenATokenHasCharactersOutsideTheAlphabet()
    {
        var bytes = new List<byte>();
        ByteLevel.AppendTokenBytes("  ", bytes);
        Assert.Equal(new byte[] { 0x20, 0x20 }, bytes);
        bytes.Clear();
        ByteLevel.AppendTokenBytes("\u0120world", bytes);
        Assert.Equal(" world"u8.ToArray(), bytes);
    }

    [Fact]
    public void Readable_FallsBackToTheRawToken_WhenBytesAreNotValidUtf8()
    {
        Assert.Equal(" world", ByteLevel.Readable("\u0120world"));
        Assert.Equal("\u00E2\u0122", ByteLevel.Readable("\u00E2\u0122")); // E2 80: half of a 3-byte character
    }
}
