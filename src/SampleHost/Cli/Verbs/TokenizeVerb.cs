using Newtonsoft.Json;
using SampleHost.Cli;
using DiffusionEngine.StableDiffusion;
using DiffusionEngine.Text;

namespace SampleHost.Cli.Verbs;

internal static class TokenizeVerb
{
    public static Verb Create() => new()
    {
        Name = "tokenize",
        Description = "Print the 77 token ids the model's tokenizer gives for a text.",
        Arguments = [new ArgumentSpec("model-dir", "model folder (diffusers layout)"), new ArgumentSpec("text", "the text to tokenize")],
        Options = [new OptionSpec("json", "print a JSON object with ids and tokens", IsFlag: true)],
        Handler = (args, _) =>
        {
            var folder = ModelFolder.Open(args.Arg("model-dir"));
            var tokenizer = ClipTokenizer.FromFolder(folder.ComponentFolder(ModelFolder.Tokenizer));
            var text = args.Arg("text");
            var ids = tokenizer.Encode(text);
            if (args.Flag("json"))
                Console.WriteLine(JsonConvert.SerializeObject(new { ids, tokens = tokenizer.Tokens(text) }));
            else
                Console.WriteLine(string.Join(' ', ids));
            return Task.FromResult(0);
        },
    };
}
