import{a,b,c}from"./chunk-KO3AIID6.js";import"./chunk-JBMYN3YF.js";import"./chunk-4OLDVLFO.js";import"./chunk-KMTS5RVZ.js";export{c as Inputs,b as choicesOf,a as same};
