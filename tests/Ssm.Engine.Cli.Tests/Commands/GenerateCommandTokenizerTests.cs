using Ssm.Engine.Testing;
using Xunit;

namespace Ssm.Engine.Cli.Tests.Commands;

public class GenerateCommandTokenizerTests
{
    [Fact]
    public void TextPrompt_IsEncodedAndTheContinuationDecoded()
    {
        string tokenizer = Path.Combine(GoldenPaths.Root, "tokenizers", "gpt2", "tokenizer.json");
        var tok = Ssm.Engine.Models.Text.BpeTokenizer.FromFile(tokenizer);
        var config = new Ssm.Engine.Models.Lm.ModelConfig
        {
            DModel = 8, NLayer = 1, VocabSize = tok.VocabSize,
            Ssm = new Ssm.Engine.Models.Lm.SsmConfig { DState = 2, DConv = 2, Expand = 1 },
        };
        var model = new Ssm.Engine.Models.Lm.CausalLm(config, seed: 1);
        string dir = Directory.CreateTempSubdirectory("ssm-gen-").FullName;
        try
        {
            Ssm.Engine.Models.Loading.CheckpointWriter.Save(model, dir);
            File.Copy(tokenizer, Path.Combine(dir, "tokenizer.json"));
            var (exit, stdout, stderr) = CliHarness.Run(CliHarness.Services(), "generate", "--model", dir,
                "--prompt", "Hello world", "--max-tokens", "4");
            Assert.True(exit == 0, stderr);
            var ids = Ssm.Engine.Models.Generation.Generator.Generate(model, tok.Encode("Hello world"),
                new Ssm.Engine.Models.Generation.SamplingOptions { Temperature = 0, MaxTokens = 4 }).ToArray();
            Assert.Equal(tok.Decode(ids) + Environment.NewLine, stdout);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
