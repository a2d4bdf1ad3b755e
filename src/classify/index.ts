export { MATCH, MATCH_WORLD, type ClassifierRule } from './classifier-rule.js';
export { Classifier, compileClassifier, type CompileOptions } from './classifier.js';
export { AddressSets, type AddressSetEntry, type PrefixSetEntry } from './address-sets.js';
