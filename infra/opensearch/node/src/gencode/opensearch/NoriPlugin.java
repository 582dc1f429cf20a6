package gencode.opensearch;

import java.io.IOException;
import java.io.StringReader;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.ko.KoreanAnalyzer;
import org.apache.lucene.analysis.ko.KoreanNumberFilter;
import org.apache.lucene.analysis.ko.KoreanPartOfSpeechStopFilter;
import org.apache.lucene.analysis.ko.KoreanReadingFormFilter;
import org.apache.lucene.analysis.ko.KoreanTokenizer;
import org.apache.lucene.analysis.ko.KoreanTokenizer.DecompoundMode;
import org.apache.lucene.analysis.ko.POS;
import org.apache.lucene.analysis.ko.dict.UserDictionary;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.index.IndexSettings;
import org.opensearch.index.analysis.AbstractIndexAnalyzerProvider;
import org.opensearch.index.analysis.AbstractTokenFilterFactory;
import org.opensearch.index.analysis.AbstractTokenizerFactory;
import org.opensearch.index.analysis.AnalyzerProvider;
import org.opensearch.index.analysis.TokenFilterFactory;
import org.opensearch.index.analysis.TokenizerFactory;
import org.opensearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.opensearch.plugins.AnalysisPlugin;
import org.opensearch.plugins.Plugin;

/**
 * The names OpenSearch's analysis-nori plugin registers ({@code nori_tokenizer},
 * {@code nori_part_of_speech}, {@code nori_readingform}, {@code nori_number} and the
 * {@code nori} analyzer), over Lucene's Korean analysis module.
 *
 * <p>Why our own: Maven Central serves OpenSearch's analysis-nori only for 3.8.0, which needs
 * a newer Java and server than the one k-NN plugin served there. The tokenizer and its
 * mecab-ko-dic dictionary are Lucene's (lucene-analysis-nori, the very jar that plugin
 * bundles); this class only maps index settings onto it, with the same names and defaults
 * (decompound_mode {@code discard}, punctuation discarded, Lucene's default stop tags).
 * A dictionary file ({@code user_dictionary}) is not supported; inline
 * {@code user_dictionary_rules} are.
 */
public final class NoriPlugin extends Plugin implements AnalysisPlugin {

    @Override
    public Map<String, AnalysisProvider<TokenizerFactory>> getTokenizers() {
        return Map.of("nori_tokenizer", NoriTokenizerFactory::new);
    }

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of(
            "nori_part_of_speech", PartOfSpeechFactory::new,
            "nori_readingform", ReadingFormFactory::new,
            "nori_number", NumberFactory::new
        );
    }

    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
        return Map.of("nori", NoriAnalyzerProvider::new);
    }

    static DecompoundMode decompoundMode(Settings settings) {
        return DecompoundMode.valueOf(
            settings.get("decompound_mode", "discard").toUpperCase(Locale.ROOT));
    }

    static UserDictionary userDictionary(Settings settings) {
        if (settings.get("user_dictionary") != null) {
            throw new IllegalArgumentException(
                "this test node's nori takes user_dictionary_rules, not a user_dictionary file");
        }
        List<String> rules = settings.getAsList("user_dictionary_rules");
        if (rules.isEmpty()) {
            return null;
        }
        try {
            return UserDictionary.open(new StringReader(String.join("\n", rules)));
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid user_dictionary_rules: " + e.getMessage(), e);
        }
    }

    static Set<POS.Tag> stopTags(Settings settings) {
        List<String> tags = settings.getAsList("stoptags");
        if (tags.isEmpty()) {
            return KoreanPartOfSpeechStopFilter.DEFAULT_STOP_TAGS;
        }
        return tags.stream().map(POS::resolveTag).collect(Collectors.toSet());
    }

    static final class NoriTokenizerFactory extends AbstractTokenizerFactory {
        private final UserDictionary dictionary;
        private final DecompoundMode mode;
        private final boolean discardPunctuation;

        NoriTokenizerFactory(IndexSettings index, Environment env, String name, Settings settings) {
            super(index, settings, name);
            dictionary = userDictionary(settings);
            mode = decompoundMode(settings);
            discardPunctuation = settings.getAsBoolean("discard_punctuation", true);
        }

        @Override
        public Tokenizer create() {
            return new KoreanTokenizer(
                TokenStream.DEFAULT_TOKEN_ATTRIBUTE_FACTORY, dictionary, mode, false, discardPunctuation);
        }
    }

    static final class PartOfSpeechFactory extends AbstractTokenFilterFactory {
        private final Set<POS.Tag> stopTags;

        PartOfSpeechFactory(IndexSettings index, Environment env, String name, Settings settings) {
            super(index, name, settings);
            stopTags = stopTags(settings);
        }

        @Override
        public TokenStream create(TokenStream input) {
            return new KoreanPartOfSpeechStopFilter(input, stopTags);
        }
    }

    static final class ReadingFormFactory extends AbstractTokenFilterFactory {
        ReadingFormFactory(IndexSettings index, Environment env, String name, Settings settings) {
            super(index, name, settings);
        }

        @Override
        public TokenStream create(TokenStream input) {
            return new KoreanReadingFormFilter(input);
        }
    }

    static final class NumberFactory extends AbstractTokenFilterFactory {
        NumberFactory(IndexSettings index, Environment env, String name, Settings settings) {
            super(index, name, settings);
        }

        @Override
        public TokenStream create(TokenStream input) {
            return new KoreanNumberFilter(input);
        }
    }

    static final class NoriAnalyzerProvider extends AbstractIndexAnalyzerProvider<KoreanAnalyzer> {
        private final KoreanAnalyzer analyzer;

        NoriAnalyzerProvider(IndexSettings index, Environment env, String name, Settings settings) {
            super(index, name, settings);
            analyzer = new KoreanAnalyzer(
                userDictionary(settings), decompoundMode(settings), stopTags(settings), false);
        }

        @Override
        public KoreanAnalyzer get() {
            return analyzer;
        }
    }
}
