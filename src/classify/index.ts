export { MATCH, MATCH_WORLD, type ClassifierRule } from './classifier-rule.js';
export { Classifier, compileClassifier, type CompileOptions } from './classifier.js';
